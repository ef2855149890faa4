"""CrowdTwistClient through real HTTP on 127.0.0.1, one file per concern: requests, errors and
retries, cache/coalescing/prefetch, secrets and construction, body limits."""
