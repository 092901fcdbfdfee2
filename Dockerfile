# One image for every role: `monitor worker`, `monitor poller`, `monitor run`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY config ./config
COPY seeds ./seeds
RUN useradd --create-home monitor && mkdir -p /app/.monitor && chown monitor /app/.monitor
USER monitor
ENV MONITOR_CONFIG=/app/config
ENTRYPOINT ["monitor"]
CMD ["run"]
