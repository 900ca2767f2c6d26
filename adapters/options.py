"""One parse of a store's options, used by the service and by ``flask fast check-config``.

An adapter declares its options as a frozen, keyword-only dataclass deriving from
``StoreOptions``; each field is one key of the store's table in the stores file,
its type annotation is the type the value must have, its default is used when
the key is absent. ``option(...)`` adds what a plain default cannot say::

    from dataclasses import dataclass
    from adapters.options import StoreOptions, option

    @dataclass(frozen=True, kw_only=True)
    class AcmeOptions(StoreOptions):
        payment_method: str = option(required=True, help='the gateway id, e.g. "cheque"')
        auth: str = option("consumer_key", choices=("consumer_key", "application_password"))
        zones_cache_seconds: int = option(600, minimum=0)
        send_expected_total: bool = True
        statuses: dict[str, str] = option(default_factory=dict)
        username: str | None = None

        def check(self) -> list[str]:  # optional: rules that span several keys
            if self.auth == "application_password" and not self.username:
                return ['auth = "application_password" needs username']
            return []

    class AcmeAdapter(Adapter):
        options_class = AcmeOptions            # Adapter.check_config then reports its problems
        secrets = (("consumer_key", True),)    # read from FAST_STORE_<NAME>_CONSUMER_KEY

        def __init__(self, store, state, settings):
            super().__init__(store, state, settings)
            self.options = AcmeOptions.from_store(store)   # the same parse; raises if broken

``AcmeOptions.load(store, secrets)`` returns ``(options or None, problems)``, every problem
at once: an unknown key (with a "did you mean"), a value of the wrong type (``"yes"`` is
not a bool, ``true`` is not an int), a value outside ``choices``/``minimum``, a missing
required key, and a secret written in the file (it belongs in the environment).
Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``X | None``,
``list[str]``/``tuple[str, ...]``, ``dict[str, X]`` and ``Any``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

from service.config import GENERIC_STORE_KEYS, StoreConfig
from service.errors import StoreMisconfigured

# Keys that name a secret whatever the adapter says (access_token, api_key; not cart_token_pool).
SECRET_KEY = re.compile(r"(?i)(^|_)(token|secret|password|passwd|api_?key|consumer_key|private_key)$")
_TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def option(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Any = dataclasses.MISSING,
    required: bool = False,
    choices: Iterable[Any] | None = None,
    minimum: float | None = None,
    help: str = "",
) -> Any:
    """A declared option with rules beyond its type; a required option needs no default."""
    metadata = {"required": required, "choices": tuple(choices) if choices else None, "minimum": minimum, "help": help}
    if required and default is dataclasses.MISSING and default_factory is dataclasses.MISSING:
        default = None  # never used: a missing required key is a problem, not a value
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreOptions:
    """Base of every adapter's options; see the module docstring for how to declare them."""

    _hints: ClassVar[dict[type, dict[str, Any]]] = {}

    def check(self) -> list[str]:
        """Rules spanning several options; each problem without the store's name (it is added)."""
        return []

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def load(cls, store: StoreConfig, secrets: Iterable[str] = ()) -> tuple[Self | None, list[str]]:
        """Every problem with ``store.options`` at once; the options only when there is none."""
        where = f"store {store.name!r} ({store.app_id})"
        problems: list[str] = []
        values: dict[str, Any] = {}
        declared = {f.name: f for f in dataclasses.fields(cls)}
        secret_names = {s.lower() for s in secrets}
        for key, value in store.options.items():
            if _is_secret(key, secret_names, declared):
                problems.append(_secret_problem(store, key))
            elif key not in declared:
                problems.append(f"{where}: unknown option {key!r}{_did_you_mean(key, declared)}")
            else:
                problem = _check_value(key, value, cls._hint(key), declared[key].metadata)
                if problem:
                    problems.append(f"{where}: {problem}")
                else:
                    values[key] = value
        for key, spec in declared.items():
            if spec.metadata.get("required") and key not in store.options:
                help_text = spec.metadata.get("help")
                problems.append(f"{where}: {key} is required" + (f": {help_text}" if help_text else ""))
        if problems:
            return None, problems
        options = cls(**values)
        problems = [f"{where}: {problem}" for problem in options.check()]
        return (None, problems) if problems else (options, [])

    @classmethod
    def from_store(cls, store: StoreConfig, secrets: Iterable[str] = ()) -> Self:
        """The options of a store the service serves; a broken store raises (answered 503)."""
        options, problems = cls.load(store, secrets)
        if options is None:
            raise StoreMisconfigured(problems)
        return options

    @classmethod
    def _hint(cls, key: str) -> Any:
        hints = cls._hints.get(cls)
        if hints is None:
            hints = cls._hints[cls] = typing.get_type_hints(cls)
        return hints[key]


def secrets_in_file(store: StoreConfig, secrets: Iterable[str], declared: Iterable[str] = ()) -> list[str]:
    """The secrets written in the store's table (for adapters that declare no options yet)."""
    names = {s.lower() for s in secrets}
    known = set(declared)
    return [_secret_problem(store, key) for key in store.options if _is_secret(key, names, known)]


def _is_secret(key: str, secrets: set[str], declared: Iterable[str]) -> bool:
    return key.lower() in secrets or (key not in declared and bool(SECRET_KEY.search(key)))


def _secret_problem(store: StoreConfig, key: str) -> str:
    return (
        f"store {store.name!r} ({store.app_id}): {key} is a secret and must not be written in the stores file;"
        f" remove it and set the environment variable {store.secret_env_name(key)}"
    )


def _did_you_mean(key: str, declared: Mapping[str, Any]) -> str:
    known = [*declared, *GENERIC_STORE_KEYS]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known options: {', '.join(sorted(declared)) or '(none)'}"


def _check_value(key: str, value: Any, hint: Any, rules: Mapping[str, Any]) -> str | None:
    wrong = _type_problem(value, hint)
    if wrong:
        return f"{key} must be {wrong}, got {value!r}"
    choices = rules.get("choices")
    if choices and value not in choices:
        return f"{key} must be one of {', '.join(map(str, choices))}, got {value!r}"
    minimum = rules.get("minimum")
    if minimum is not None and isinstance(value, int | float) and value < minimum:
        return f"{key} must be at least {minimum}, got {value!r}"
    return None


def _type_problem(value: Any, hint: Any) -> str | None:
    """What ``value`` should have been, or None when it fits ``hint``."""
    if hint is Any:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        # TOML has no null: an optional key is simply left out, so only the other type is checked.
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _type_problem(value, inner[0]) if len(inner) == 1 else None
    if origin in (list, tuple, dict):
        return _container_problem(value, origin, typing.get_args(hint))
    if hint in _SCALAR_CHECKS:
        fits, word = _SCALAR_CHECKS[hint]
        return None if fits(value) else word
    if isinstance(hint, type):
        return None if isinstance(value, hint) else _word(hint)
    return None


def _container_problem(value: Any, origin: Any, args: tuple[Any, ...]) -> str | None:
    if origin is dict:
        item = args[1] if len(args) == 2 else Any
        if not isinstance(value, dict) or any(_type_problem(v, item) for v in value.values()):
            return f"a table of {_word(item, plural=True)}"
        return None
    item = args[0] if args else Any
    if not isinstance(value, list) or any(_type_problem(v, item) for v in value):
        return f"a list of {_word(item, plural=True)}"
    return None


# A bool is not a number here, though Python says it is an int.
_SCALAR_CHECKS: dict[Any, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false"),
    float: (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
}


def _word(hint: Any, plural: bool = False) -> str:
    word = _TYPE_WORDS.get(hint, "values")
    if not plural:
        return word
    return {"a string": "strings", "a whole number": "whole numbers", "a number": "numbers"}.get(word, "values")
