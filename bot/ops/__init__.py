"""What keeps the bot observable and standing for the people who run it: the Prometheus
metrics (``metrics``), Socket Mode's watchdog (``socket_watch``) and the bound on slow HTTP
clients (``slow_clients``)."""
