# The bot in HTTP mode, from the lock.
#   docker build -t purchases-bot .
#   docker run -p 3000:3000 -e SLACK_BOT_TOKEN=… -e SLACK_SIGNING_SECRET=… \
#     -e CROWDTWIST_API_KEY=… -e CROWDTWIST_BASE_URL=… purchases-bot
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

WORKDIR /app

# The locked dependencies first, checked against the lock's hashes: this layer is rebuilt only
# when requirements.txt changes, not on every change to the code.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

# Then the app, run from /app as Heroku runs it (nothing is built, so nothing unpinned is fetched).
COPY bot ./bot

RUN groupadd --system --gid 10001 purchases \
    && useradd --system --uid 10001 --gid purchases --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin purchases
USER 10001:10001

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
CMD ["python", "-m", "bot"]
