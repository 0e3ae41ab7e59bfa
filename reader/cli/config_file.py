"""The settings a user keeps: ``config.toml`` in the user config directory (``READER_CONFIG_DIR`` overrides).

```toml
voice = "yunyang"                 # any preset (see `reader voices`)
rate = 1.1                        # 0.5–2.0; default: the voice's own
output_dir = "~/Podcasts/reader"  # where `reader narrate` puts its files (created if missing)
format = "mp3"                    # the audio format: mp3, m4b, m4a, opus or wav
name_template = "{date}-{title}"  # file names (reader.narration.naming: {date} {title} {source} {id} …)
ascii_names = false               # pinyin file names
loudness = -16                    # LUFS, -40 to -5
language = "zh"                   # zh or en (READER_LANG wins; default: from LANG/LC_ALL/LC_MESSAGES)

[cluster]                         # reader batch and reader serve --cluster (or cluster = "…" at the top)
address = "tls://head:8786"       # "local" or a Dask scheduler's address; plain tcp:// on a private network only
ca = "~/dask/ca.pem"              # --cluster-ca: the CA that signed the scheduler's certificate
cert = "~/dask/client.pem"        # --cluster-cert: this client's certificate
key = "~/dask/client.key"         # --cluster-key: its key, when not in the certificate's file
require_encryption = true         # --cluster-require-encryption: refuse a plain tcp:// address

[feed]                            # reader batch's podcast feed
title = "万州新闻 语音播报"
author = "我"
image = "~/cover.png"             # a PNG/JPEG file, or an http(s) URL
email = "me@example.org"

[edge]                            # Microsoft's online voices: see reader.settings.EdgeSettings
```

Each top-level key, ``[feed]`` key and ``[cluster]`` key is the default of the command-line options of the same name (``voice`` →
``--voice``, ``feed.title`` → ``--feed-title``, ``cluster.address`` → ``--cluster``, ``cluster.ca`` →
``--cluster-ca``); an option given on the command line wins. ``load_config``
reads and validates the file once (a typo in a key or a bad value is a one-line ``ConfigError`` naming the
file and the key, with "did you mean" for a misspelt key), and says where each value came from, which
``reader config`` shows. The command line applies the file through click's ``default_map``
(``UserConfig.default_map``), so ``--help`` shows the defaults in force. The library's own API does not read
this file (only ``[edge]``, through ``reader.settings.edge_settings``): a program that embeds reader says
what it wants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader._files import read_toml
from reader.errors import ConfigError, ReaderError, did_you_mean
from reader.i18n import LANGUAGES, LanguageError, _, detect
from reader.settings import DEFAULT_PRESET, RATE_MAX, RATE_MIN, TARGET_LUFS, user_config_dir

CONFIG_NAME = "config.toml"
#: Tables owned by other parts: read where they are used, only checked to be tables here.
OWNED_TABLES = ("edge",)
#: Tables whose keys are options' defaults, as ``table.key``. ``cluster`` may also be a top-level string (the
#: address, as before the table existed).
TABLES = ("feed", "cluster")


def config_path() -> Path:
    return user_config_dir() / CONFIG_NAME


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("must be a non-empty string"))
    return value.strip()


def _voice(value: Any) -> str:
    from reader.settings import preset

    try:
        return preset(_string(value)).name
    except ReaderError as exc:
        raise ValueError(str(exc)) from None


def _rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not RATE_MIN <= value <= RATE_MAX:
        raise ValueError(_("must be a number from {low} to {high}").format(low=RATE_MIN, high=RATE_MAX))
    return float(value)


def _loudness(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -40 <= value <= -5:
        raise ValueError(_("must be a number of LUFS from -40 to -5"))
    return float(value)


def _folder(value: Any) -> str:
    return str(Path(_string(value)).expanduser())


def _format(value: Any) -> str:
    from reader.audio import formats

    text = _string(value).lower().lstrip(".")
    if text not in formats.names():
        raise ValueError(_("must be one of {values}").format(values=", ".join(formats.names())))
    return text


def _template(value: Any) -> str:
    from reader.narration.naming import check_template

    try:
        return check_template(_string(value))
    except ReaderError as exc:
        raise ValueError(str(exc)) from None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(_("must be true or false"))
    return value


def _language(value: Any) -> str:
    text = _string(value).lower()
    if text not in LANGUAGES:
        raise ValueError(_("must be one of {values}").format(values=", ".join(LANGUAGES)))
    return text


def _file(value: Any) -> str:
    return str(Path(_string(value)).expanduser())


def _image(value: Any) -> str:
    text = _string(value)
    return text if "://" in text else str(Path(text).expanduser())


@dataclass(frozen=True)
class Key:
    """One setting: its name in the file (``feed.title`` for a key of ``[feed]``), how it is checked, its
    built-in default (None: none, the option's own), and the commands and option parameter it is the
    default of."""

    name: str
    check: Callable[[Any], Any]
    default: Any
    commands: tuple[str, ...]
    param: str = ""

    @property
    def option(self) -> str:
        return self.param or self.name.replace(".", "_")


KEYS: tuple[Key, ...] = (
    Key("voice", _voice, DEFAULT_PRESET, ("narrate", "batch", "play")),
    Key("rate", _rate, None, ("narrate", "batch", "play")),
    Key("output_dir", _folder, ".", ("narrate",)),
    Key("format", _format, "mp3", ("narrate", "batch"), "audio_format"),
    Key("name_template", _template, "{date}-{title}", ("narrate", "batch")),
    Key("ascii_names", _flag, False, ("narrate", "batch")),
    Key("loudness", _loudness, TARGET_LUFS, ("narrate", "batch")),
    Key("language", _language, None, ()),
    Key("cluster", _string, None, ("batch", "serve")),
    Key("cluster.address", _string, None, ("batch", "serve"), "cluster"),
    Key("cluster.ca", _file, None, ("batch", "serve"), "cluster_ca"),
    Key("cluster.cert", _file, None, ("batch", "serve"), "cluster_cert"),
    Key("cluster.key", _file, None, ("batch", "serve"), "cluster_key"),
    Key("cluster.require_encryption", _flag, False, ("batch", "serve"), "cluster_require_encryption"),
    Key("feed.title", _string, None, ("batch",)),
    Key("feed.author", _string, None, ("batch",)),
    Key("feed.image", _image, None, ("batch",)),
    Key("feed.email", _string, None, ("batch",)),
)
BY_NAME = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class UserConfig:
    """The settings in force: each key's value and where it came from (the file's path, or "default")."""

    path: Path
    found: bool
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # [edge]: as it is in the file

    def get(self, name: str) -> Any:
        return self.values[name]

    def from_file(self, name: str) -> bool:
        return self.sources.get(name) == str(self.path)

    def default_map(self) -> dict[str, dict[str, Any]]:
        """click's ``default_map``: for each command, its options' defaults taken from the file."""
        commands: dict[str, dict[str, Any]] = {}
        for key in KEYS:
            if not self.from_file(key.name):
                continue
            for command in key.commands:
                commands.setdefault(command, {})[key.option] = self.values[key.name]
        return commands


def load_config(path: Path | None = None) -> UserConfig:
    """The user's settings (``config.toml``) over the built-in defaults, validated; see the module docstring."""
    path = path or config_path()
    data = read_toml(path, "config") if path.is_file() else {}
    flat: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            if name in OWNED_TABLES:
                tables[name] = value
                continue
            if name not in TABLES:
                raise ConfigError(_("{path}: unknown table [{name}]").format(path=path, name=name)
                                  + did_you_mean(name, [*TABLES, *OWNED_TABLES]))
            for sub, subvalue in value.items():
                flat[f"{name}.{sub}"] = subvalue
        elif name in OWNED_TABLES or name == "feed":
            raise ConfigError(_("{path}: {name} must be a table ([{name}])").format(path=path, name=name))
        else:
            flat[name] = value
    values = {k.name: k.default for k in KEYS}
    sources = {k.name: "default" for k in KEYS}
    for name, value in flat.items():
        key = BY_NAME.get(name)
        if key is None:
            known = [k.name for k in KEYS if ("." in k.name) == ("." in name)]
            raise ConfigError(_("{path}: unknown setting {name!r}").format(path=path, name=name)
                              + did_you_mean(name, known))
        try:
            values[name] = key.check(value)
        except ValueError as exc:
            raise ConfigError(_("{path}: {name}: {exc}").format(path=path, name=name, exc=exc)) from None
        sources[name] = str(path)
    return UserConfig(path, path.is_file(), values, sources, tables)


def language(config: UserConfig) -> tuple[str, str]:
    """The interface's language and what chose it: ``READER_LANG`` (zh or en), else the file's ``language``,
    else the locale (the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set: zh_* is Chinese,
    anything else English), else English (see ``reader.i18n``)."""
    configured = config.values["language"] if config.from_file("language") else None
    try:
        return detect(configured, str(config.path))
    except LanguageError as exc:
        raise ConfigError(str(exc)) from None
