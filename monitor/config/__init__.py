"""The configuration: its shape (``schema``) and loading it from YAML (``loader``).

The only package that reads the environment (``${VAR}`` interpolation, ``$MONITOR_CONFIG``).
"""

from monitor.config.loader import load_config
from monitor.config.schema import (
    ChannelConfig,
    Config,
    ConsoleChannel,
    EmailChannel,
    FeedConfig,
    FileChannel,
    Settings,
    SpeakerConfig,
    TopicConfig,
    WatchlistConfig,
    WebhookChannel,
    parse_duration,
)
from monitor.config.summary import summarize
from monitor.errors import ConfigError

__all__ = [
    "ChannelConfig",
    "Config",
    "ConfigError",
    "ConsoleChannel",
    "EmailChannel",
    "FeedConfig",
    "FileChannel",
    "Settings",
    "SpeakerConfig",
    "TopicConfig",
    "WatchlistConfig",
    "WebhookChannel",
    "load_config",
    "parse_duration",
    "summarize",
]
