# One image for every role: `monitor worker`, `monitor poller`, `monitor run`.
# The matching engine is compiled by mypyc (setup.py) in a build stage that has a
# C compiler; the slim image gets the wheel only.
FROM python:3.11 AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY monitor ./monitor
COPY workers ./workers
# mypyc type-checks what the engine imports: the dependencies with the dev ones
# (mypy, type stubs) first, then the wheel. Only the wheel leaves this stage.
RUN pip install --no-cache-dir setuptools wheel ".[dev]" \
    && MONITOR_MYPYC=1 pip wheel --no-cache-dir --no-build-isolation --no-deps -w /wheels .

FROM python:3.11-slim
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY config ./config
COPY seeds ./seeds
RUN useradd --create-home monitor && mkdir -p /app/.monitor && chown monitor /app/.monitor
USER monitor
ENV MONITOR_CONFIG=/app/config
ENTRYPOINT ["monitor"]
CMD ["run"]
