"""Project settings from `faasm.toml`, the user config and `FAASM_*` variables, resolved once.

Precedence is flags > environment > `faasm.toml` > user config > defaults: `load` resolves
everything below the flags, and a command applies its own flags with `Settings.override`. Every
setting is declared once in FIELDS; validation, the environment variables, the starter
`faasm.toml` written by `faasm init` and the error messages all come from that table. Named
cluster profiles (`[profiles.NAME]`, the `[cluster]` URL keys under another name) are merged key
by key across the files; `Settings.endpoints` picks the cluster's URLs.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from faasm_cli.config import PROJECT_FILE, Project
from faasm_cli.errors import BadConfig
from faasm_cli.toolchain import BACKENDS

USER_CONFIG_VARIABLE = "FAASM_CONFIG"
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Field:
    """One setting: where it sits in a settings file, its type and its environment variable."""

    table: str
    key: str  # also the name of the Settings attribute
    kind: type[str] | type[int] | type[float]
    variable: str
    meaning: str
    example: str  # a TOML value, shown in the starter file and in hints
    choices: tuple[str, ...] = ()

    def noun(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(choice) for choice in self.choices)
        return {str: "a string", int: "a positive integer", float: "a positive number"}[self.kind]


FIELDS = (
    Field(
        "build",
        "toolchain",
        str,
        "FAASM_TOOLCHAIN",
        "'system' (the host's clang) or 'docker' (the container image)",
        '"system"',
        BACKENDS,
    ),
    Field("limits", "timeout", float, "FAASM_TIMEOUT", "wall-clock seconds per call", "30.0"),
    Field("limits", "memory_mb", int, "FAASM_MEMORY_MB", "linear memory per call, MiB", "512"),
    Field("limits", "output_mb", int, "FAASM_OUTPUT_MB", "output per call, MiB", "8"),
    Field(
        "cluster",
        "profile",
        str,
        "FAASM_PROFILE",
        "the cluster profile ([profiles.NAME] in a settings file) to talk to",
        '"default"',
    ),
    Field(
        "cluster",
        "upload_url",
        str,
        "FAASM_UPLOAD_URL",
        "the cluster's upload server (beats the profile's)",
        '"http://10.0.0.5:8002"',
    ),
    Field(
        "cluster",
        "invoke_url",
        str,
        "FAASM_INVOKE_URL",
        "the cluster's invoke endpoint (beats the profile's)",
        '"http://10.0.0.5:8080"',
    ),
)
_TABLES = tuple(dict.fromkeys(field.table for field in FIELDS))
PROFILES = "profiles"
# What a profile sets: the cluster's URLs, under the same keys as in [cluster].
PROFILE_KEYS = tuple(f.key for f in FIELDS if f.table == "cluster" and f.key.endswith("_url"))
_HEADER = re.compile(r"^\s*\[")
_QUOTE = '"'


@dataclass(frozen=True)
class Settings:
    """Resolved settings; None means the runtime's (or the command's) own default."""

    toolchain: str = "system"
    timeout: float | None = None
    memory_mb: int | None = None
    output_mb: int | None = None
    profile: str | None = None
    upload_url: str | None = None
    invoke_url: str | None = None
    profiles: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def output_bytes(self) -> int | None:
        return None if self.output_mb is None else self.output_mb * _MIB

    def runtime_limits(self) -> dict[str, Any]:
        """The limits that are set, as `Runtime(...)` arguments (the rest keep its defaults)."""
        limits = {
            "timeout": self.timeout,
            "memory_limit_mb": self.memory_mb,
            "max_output_bytes": self.output_bytes,
        }
        return {name: value for name, value in limits.items() if value is not None}

    def override(self, **flags: Any) -> Settings:
        """These settings with the flags the user gave (None: flag not given) on top."""
        return dataclasses.replace(
            self, **{name: value for name, value in flags.items() if value is not None}
        )

    def endpoints(
        self,
        profile: str | None = None,
        upload_url: str | None = None,
        invoke_url: str | None = None,
    ) -> Endpoints:
        """The cluster's URLs: the URL flags, else the `--profile` flag's, else `upload_url`/
        `invoke_url` (FAASM_*_URL or [cluster]), else the configured profile's, else
        [profiles.default]'s, else the local cluster's defaults (`faasm cluster up`)."""
        from faasm_cli.cluster.config import ClusterConfig  # only commands that talk to one

        flagged = self._profile(profile) if profile else {}
        chosen = self._profile(self.profile) if self.profile else self.profiles.get("default", {})
        local = ClusterConfig()
        return Endpoints(
            upload_url
            or flagged.get("upload_url")
            or self.upload_url
            or chosen.get("upload_url")
            or local.upload_base,
            invoke_url
            or flagged.get("invoke_url")
            or self.invoke_url
            or chosen.get("invoke_url")
            or local.invoke_base,
        )

    def _profile(self, name: str) -> Mapping[str, str]:
        if name not in self.profiles:
            known = ", ".join(self.profiles) or "none"
            raise BadConfig(
                f"no cluster profile {name!r}",
                f"profiles: {known}; define [profiles.{name}] with "
                f"{' and '.join(PROFILE_KEYS)} in {user_config_file()} or {PROJECT_FILE}",
            )
        return self.profiles[name]


@dataclass(frozen=True)
class Endpoints:
    """Where a cluster answers: its upload server and its invoke endpoint."""

    upload_url: str
    invoke_url: str


def user_config_file() -> Path:
    """The user's own defaults for every project: `FAASM_CONFIG`, or config.toml in the user
    config dir."""
    override = os.environ.get(USER_CONFIG_VARIABLE)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("faasm")) / "config.toml"


def load(project: Project | None = None) -> Settings:
    """Defaults, then the user config, then the project's `faasm.toml`, then `FAASM_*`."""
    values: dict[str, Any] = {}
    user_file = user_config_file()
    if os.environ.get(USER_CONFIG_VARIABLE) or user_file.exists():
        _merge(values, read_file(user_file, USER_CONFIG_VARIABLE))
    if project is not None and project.settings_file.exists():
        _merge(values, read_file(project.settings_file))
    for field in FIELDS:
        raw = os.environ.get(field.variable)
        if raw:
            values[field.key] = _from_variable(field, raw)
    return Settings(**values)


def _merge(values: dict[str, Any], later: dict[str, Any]) -> None:
    """`later` over `values`; a profile set in both files is merged key by key."""
    profiles = {name: dict(keys) for name, keys in values.get(PROFILES, {}).items()}
    for name, keys in later.pop(PROFILES, {}).items():
        profiles.setdefault(name, {}).update(keys)
    values.update(later)
    if profiles:
        values[PROFILES] = profiles


def read_file(path: Path, named_by: str = "") -> dict[str, Any]:
    """The settings one file sets, checked against FIELDS; every mistake names file and line."""
    origin = f" (named by {named_by})" if named_by else ""
    if path.is_dir():
        raise BadConfig(f"{path} is a directory, not a settings file{origin}", "name a file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as missing:
        raise BadConfig(f"settings file {path} does not exist{origin}", "create it") from missing
    except (OSError, UnicodeDecodeError) as problem:
        raise BadConfig(f"cannot read {path}: {problem}", "check the file") from problem
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise BadConfig(f"{path}: invalid TOML: {problem}", "see https://toml.io") from problem
    return _validate(path, text, document)


def _validate(path: Path, text: str, document: dict[str, Any]) -> dict[str, Any]:
    by_key = {(field.table, field.key): field for field in FIELDS}
    values: dict[str, Any] = {}
    for table, entries in document.items():
        if table == PROFILES:
            values[PROFILES] = _profiles(path, text, entries)
            continue
        if table not in _TABLES:
            raise _unknown_table(path, text, table)
        if not isinstance(entries, dict):
            raise BadConfig(
                f"{_where(path, text, '', table)}: {table} must be a table ([{table}])",
                f"write [{table}] on its own line and its keys below it",
            )
        for key, value in entries.items():
            field = by_key.get((table, key))
            if field is None:
                known = ", ".join(f.key for f in FIELDS if f.table == table)
                raise BadConfig(
                    f"{_where(path, text, table, key)}: unknown key {key!r} in [{table}]",
                    f"keys of [{table}]: {known}",
                )
            if not _fits(field, value):
                raise BadConfig(
                    f"{_where(path, text, table, key)}: {table}.{key} must be {field.noun()}, "
                    f"not {_describe(value)}",
                    f"e.g. {key} = {field.example} under [{table}]",
                )
            values[key] = float(value) if field.kind is float else value
    return values


def _profiles(path: Path, text: str, entries: object) -> dict[str, dict[str, str]]:
    """`[profiles.NAME]` tables: each sets some of PROFILE_KEYS to an http(s) URL."""
    example = f'e.g. [profiles.lab] then {PROFILE_KEYS[0]} = "http://10.0.0.5:8002"'
    if not isinstance(entries, dict):
        raise BadConfig(f"{_where(path, text, '', PROFILES)}: {PROFILES} must be tables", example)
    profiles: dict[str, dict[str, str]] = {}
    for name, keys in entries.items():
        table = f"{PROFILES}.{name}"
        if not isinstance(keys, dict):
            raise BadConfig(
                f"{_where(path, text, PROFILES, name)}: {table} must be a table", example
            )
        for key, value in keys.items():
            if key not in PROFILE_KEYS:
                raise BadConfig(
                    f"{_where(path, text, table, key)}: unknown key {key!r} in [{table}]",
                    f"keys of a profile: {', '.join(PROFILE_KEYS)}",
                )
            if not isinstance(value, str) or not value.startswith(("http://", "https://")):
                raise BadConfig(
                    f"{_where(path, text, table, key)}: {table}.{key} must be an http(s) URL, "
                    f"not {_describe(value)}",
                    example,
                )
        profiles[name] = dict(keys)
    return profiles


def _unknown_table(path: Path, text: str, name: str) -> BadConfig:
    misplaced = [field for field in FIELDS if field.key == name]
    if misplaced:
        hint = f"put {name} under [{misplaced[0].table}]"
    else:
        hint = "known tables: " + ", ".join(f"[{table}]" for table in _TABLES)
    return BadConfig(f"{_where(path, text, '', name)}: unknown setting {name!r}", hint)


def _fits(field: Field, value: object) -> bool:
    if isinstance(value, bool):
        return False
    if field.kind is str:
        return isinstance(value, str) and (not field.choices or value in field.choices)
    if field.kind is int:
        return isinstance(value, int) and value > 0
    return isinstance(value, int | float) and value > 0


def _describe(value: object) -> str:
    kinds = {bool: "a boolean", str: "a string", int: "an integer", float: "a number"}
    kind = kinds.get(type(value), "a " + ("table" if isinstance(value, dict) else "list"))
    return f"{kind} ({value!r})" if not isinstance(value, dict | list) else kind


def _from_variable(field: Field, raw: str) -> Any:
    try:
        value: Any = field.kind(raw)
    except ValueError:
        value = None
    if value is None or not _fits(field, value):
        raise BadConfig(
            f"{field.variable}={raw!r} is not {field.noun()}",
            f"e.g. {field.variable}={field.example.strip(_QUOTE)}",
        )
    return value


def _where(path: Path, text: str, table: str, key: str) -> str:
    line = line_of(text, table, key)
    return f"{path}:{line}" if line else str(path)


def line_of(text: str, table: str, key: str) -> int | None:
    """The 1-based line where `key` of `[table]` is set (table "" for the top level).

    tomllib reports positions only for syntax errors, so a valid file's keys are found with a
    simple scan: `key =` in the lines after the `[table]` header, else a dotted `table.key =`,
    else the table's own line (its header, or `table = {...}`). A top-level name is a `name =`
    line before the first header, or a `[name]` header."""
    lines = text.splitlines()

    def first(pattern: str, start: int = 0, within_table: bool = False) -> int | None:
        for number in range(start, len(lines)):
            if within_table and _HEADER.match(lines[number]):
                return None
            if re.match(pattern, lines[number]):
                return number + 1
        return None

    name = rf"""\s*["']?{re.escape(key)}["']?\s*"""
    if not table:
        return first(rf"^{name}[=.]", within_table=True) or first(rf"^\s*\[{name}[\].]")
    header = first(rf"^\s*\[\s*{re.escape(table)}\s*\]")
    found = first(rf"^{name}[=.]", header, within_table=True) if header is not None else None
    dotted = first(rf"^\s*{re.escape(table)}\s*\.{name}=")
    return found or dotted or header or line_of(text, "", table)


def starter_file() -> str:
    """The commented `faasm.toml` that `faasm init` writes: every setting, none set."""
    parts = [
        f"# {PROJECT_FILE}: this project's settings (faasm finds the project by this file).\n"
        "# Precedence: command-line flags > FAASM_* environment variables > this file > the\n"
        f"# user config (${USER_CONFIG_VARIABLE}, or config.toml in the user config dir).\n"
        "# Uncomment a line to set it; unknown keys are an error.\n"
    ]
    for table in _TABLES:
        parts.append(f"\n[{table}]\n")
        for field in (f for f in FIELDS if f.table == table):
            parts.append(f"# {field.meaning}; env {field.variable}\n")
            parts.append(f"# {field.key} = {field.example}\n")
    parts.append('\n# A named cluster (`--profile lab`, or profile = "lab" above):\n')
    parts.append(f"# [{PROFILES}.lab]\n")
    for key in PROFILE_KEYS:
        parts.append(f"# {key} = {next(f.example for f in FIELDS if f.key == key)}\n")
    return "".join(parts)
