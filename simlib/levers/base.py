"""What a lever is, and the registry that maps a strategy's YAML keys to levers.

A lever owns one key of a strategy in a scenario file (``deposit:``, ``payment_plan:``, …) and
holds, side by side, everything about it (the hooks of pytest/pluggy, in miniature):

- ``key``, ``settings`` (the type of its section: a pydantic model, a number, a list) and
  ``default``; the :class:`~simlib.scenario.schema.Strategy` model accepts exactly the registered keys;
- ``check(settings, strategy, scenario, at)``: problems that involve other sections;
- ``describe(settings)``: the lever in plain words for the board (``""``: nothing to say);
- ``random_draws``: the per-encounter draws it needs, each from its own stream, made by the
  population once per replication;
- its other words for the board, each read by :mod:`simlib.report` and nowhere else written:
  ``title`` (its short name: search page, lever contributions), ``glossary`` (the terms a board
  meets when a strategy uses it) and ``risk`` or ``risk_notes`` (the rules and risks the
  "Limitations and risks" section lists for the strategies that use it);
- ``counters``: the counters its actions add, with their meaning;
- ``assumptions``: the settings that are assumptions about patients rather than decisions
  (:class:`Assumption`); the sensitivity report moves them when a top strategy uses the lever;
- at run time, one instance per world (``__init__(world, settings)``) whose hooks the engine
  calls — only those the lever overrides. The hooks are declared once, in :data:`HOOKS` (and as
  the documented no-op methods of :class:`Lever`); registration refuses a method whose name looks
  like a hook but is not one (``at_statment``, ``schedual``), or a hook with the wrong parameters:

  ``at_service(i, r, day, balance) -> balance``  when the patient's bill is created (deposits);
  ``at_statement(account)``                      when the statement goes out;
  ``schedule(account, bill_day, items)``         append ``(day, order, action, argument)``;
  ``after_payment(account)``                     after each payment the patient makes;
  ``while_holding(account, action, argument)``   another lever's deadline falls due while this
                                                 lever holds the account (see ``take_over``);
  ``on_event(account, event, channel)``          a contact's result or a reported outcome (the
                                                 policies of :mod:`simlib.policies` react to them).

An action is called as ``action(account, argument)`` and returns ``None`` (done at once) or a
generator of SimPy events (it waits for a capacity). ``order`` breaks ties between actions due on
the same day (lower first). The account's interface (``jump``, ``at``, ``take_over``,
``hand_back``, ``defer``, ``reduce``, ``close``, …) is documented in :mod:`simlib.world.account`.

Built-in levers are registered by importing :mod:`simlib.levers` (one line each). A lever in
another package registers itself with the ``@register_lever`` decorator when its module is
imported, or is found through the entry-point group ``simlib.levers`` when it is installed
(see ``docs/extending.md``). This module imports nothing from simlib but the settings base.
"""
from __future__ import annotations

import copy
import difflib
import inspect
from importlib import metadata
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import ConfigDict, PydanticUserError, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails

ENTRY_POINT_GROUP = "simlib.levers"

_LEVERS: dict[str, type["Lever"]] = {}
_entry_points_loaded = False


class Assumption(NamedTuple):
    """A lever setting that is an assumption about patients (not a decision), and the range the
    sensitivity report moves it over: ``mode="scale"`` multiplies the scenario's value by ``low``
    / ``high``, ``"set"`` replaces it; ``upper`` caps it (a rate). ``setting`` is a field of the
    lever's section (path ``strategies.*.<key>.<setting>``) or, with a dot, a path from the
    scenario's top (a behaviour or channel setting the lever relies on)."""

    setting: str
    label: str
    low: float
    high: float
    mode: Literal["scale", "set"] = "scale"
    upper: float | None = None

    def path(self, key: str) -> str:
        return self.setting if "." in self.setting else f"strategies.*.{key}.{self.setting}"


class Hook(NamedTuple):
    """A hook the world calls on a lever: its name, its parameters (after ``self``), when it is
    called and the name of the world's list that holds the levers' hooks (``None``: the account
    calls it on the lever that holds it)."""

    name: str
    params: tuple[str, ...]
    when: str
    world_list: str | None


#: Every hook of the lever contract, in the order a patient's bill meets them. The one list: the
#: engine gathers the hooks it names (only those a lever overrides), and registration refuses a
#: lever method that looks like one of them but is not (:func:`register_lever`).
HOOKS: dict[str, Hook] = {h.name: h for h in (
    Hook("at_service", ("i", "r", "day", "balance"), "the patient's bill is created; returns the balance "
         "left to collect (a deposit takes part of it)", "service_hooks"),
    Hook("at_statement", ("account",), "the statement goes out", "statement_hooks"),
    Hook("schedule", ("account", "bill_day", "items"), "once per account, after the statement: append "
         "(day, order, action, argument) to items", "schedule_hooks"),
    Hook("after_payment", ("account",), "after each payment the patient makes", "payment_hooks"),
    Hook("while_holding", ("account", "action", "argument"), "another lever's deadline falls due while "
         "this lever holds the account", None),
    Hook("on_event", ("account", "event", "channel"), "something a collection policy may react to "
         "happened to the account: a contact's result (simlib.world.contacts.EVENTS) or an outcome a "
         "policy reports (simlib.policies)", "event_hooks"),
)}

#: how alike (difflib's ratio, case ignored) a method name must be to a hook's to be taken for a misspelling
HOOK_LIKENESS = 0.8


class Lever:
    """Base class of a lever; subclasses set ``key`` and ``settings`` and override the hooks they
    need (each declared in :data:`HOOKS`; the no-op methods below document them)."""

    key: ClassVar[str] = ""
    settings: ClassVar[Any] = None
    default: ClassVar[Any] = None
    order: ClassVar[int] = 100
    counters: ClassVar[dict[str, str]] = {}
    assumptions: ClassVar[tuple[Assumption, ...]] = ()
    #: the board's short name of the lever (default: the key in words)
    title: ClassVar[str] = ""
    #: (term, explanation) for the glossary of a report where a strategy uses the lever
    glossary: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: (topic, the rule or risk in words) for the strategies that use the lever (see risk_notes)
    risk: ClassVar[tuple[str, str] | None] = None
    #: the per-encounter random draws the lever needs, made once per replication by the population
    #: from the lever's own streams (the same for every strategy: common random numbers):
    #: stream name -> ``draw(generator, n, scenario)`` returning {name: array of n rows}; a name
    #: that is a field of ``Population`` fills it, any other is ``population.lever_draws[name]``
    random_draws: ClassVar[dict[str, Any]] = {}
    _adapter: ClassVar[TypeAdapter | None] = None

    # ------------------------------------------------------------------ class level: the section
    @classmethod
    def active(cls, settings: Any) -> bool:
        """Whether the lever takes part in the collection run with these settings, i.e. the world
        builds it and calls its hooks (default: the section is set). Factoring, settled after the
        run, never does; credit terms and write-off, with defaults, always do."""
        return settings is not None

    @classmethod
    def describe(cls, settings: Any) -> str:
        """The lever in plain words for the board; ``""`` when there is nothing to say."""
        if not cls.active(settings):
            return ""
        return f"{cls.key.replace('_', ' ')}: {settings}"

    @classmethod
    def board_title(cls) -> str:
        """The lever's short name on the board, in the language in force: ``title``, or its key in words."""
        from simlib.core.language import _

        return _(cls.title) if cls.title else cls.key.replace("_", " ").capitalize()

    @classmethod
    def risk_notes(cls, strategies: dict[str, Any], scenario: Any) -> list[tuple[str, list[str], str]]:
        """(topic, the strategies concerned, the rule or risk) for the report's limitations: by
        default ``risk`` for every strategy that uses the lever. A lever whose risks depend on
        its settings (the agency's kind) or the scenario (a nonprofit hospital) overrides this."""
        users = strategies_using(strategies, cls.key)
        return [(cls.risk[0], users, cls.risk[1])] if cls.risk is not None and users else []

    @classmethod
    def check(cls, settings: Any, strategy: Any, scenario: Any, at: str) -> list[str]:
        """Problems of this section that involve other sections (``at`` is its field path)."""
        return []

    @classmethod
    def validate(cls, value: Any, config: ConfigDict | None = None) -> Any:
        """The section's value validated against ``settings``. ``config`` (the strategy model's,
        e.g. no NaN or infinity) applies to a section that is not itself a pydantic model, as it
        would to a field of the strategy; a model section has its own."""
        if cls._adapter is None:
            try:
                cls._adapter = TypeAdapter(cls.settings, config=config)
            except PydanticUserError:  # a BaseModel type: its own config applies
                cls._adapter = TypeAdapter(cls.settings)
        return cls._adapter.validate_python(value)

    # ------------------------------------------------------------------ run time
    def __init__(self, world: Any, settings: Any):
        self.world, self.cfg = world, settings

    # ------------------------------------------------------------------ the hooks (see HOOKS)
    def at_service(self, i: int, r: int, day: float, balance: int) -> int:
        """Encounter ``i``'s patient bill (receivable ``r``) is created on ``day`` for ``balance``
        cents: return what is left to collect (a deposit takes part). Not called unless overridden."""
        return balance

    def at_service_in_bulk(self, encounters: Any, day: Any, balance: Any) -> Any:
        """The bulk form of :meth:`at_service` the hybrid engine uses (:mod:`simlib.model.hybrid_bills`)
        for the patient bills of ``encounters`` (NumPy arrays: encounter, service day, cents):
        count what the hook would count and return ``(balances left, rows)``, ``rows`` a list of
        ``(receivables, days, kind, cents)`` arrays holding the rows the hook would post (a row of
        0 cents left out, as ``LedgerWriter.post`` does). Not called unless overridden; a lever that
        overrides ``at_service`` without it keeps those bills on the per-encounter path."""
        raise NotImplementedError

    def at_statement(self, account: Any) -> None:
        """The statement goes out (``account.now``). Not called unless overridden."""

    def schedule(self, account: Any, bill_day: float, items: list) -> None:
        """Once per account, after the statement of ``bill_day``: append ``(day, order, action,
        argument)`` to ``items``. Not called unless overridden."""

    def after_payment(self, account: Any) -> None:
        """After each payment the patient makes. Not called unless overridden."""

    def while_holding(self, account: Any, action: Any, argument: Any) -> None:
        """Another lever's deadline (a write-off, a placement) fell due while this lever holds the
        account. Default: it lapses (the holder supersedes it)."""

    def on_event(self, account: Any, event: str, channel: Any) -> None:
        """``event`` happened to the account at ``account.now`` on ``channel`` (a channel's name or
        ``None``): a contact's result (:data:`simlib.world.contacts.EVENTS`) or an outcome a policy
        reports. Not called unless overridden; the world asks nothing of a contact unless a lever
        listens."""


def lever_hooks(levers: Any, name: str) -> list:
    """The bound hook ``name`` of each lever in ``levers`` that overrides it (in the class, or on
    the instance when ``__init__`` picks the hook), in order: the engine calls only these."""
    base = getattr(Lever, HOOKS[name].name)
    return [hook for lv in levers
            if getattr(hook := getattr(lv, name), "__func__", hook) is not base]


def _check_hooks(cls: type[Lever]) -> None:
    """Refuse a method that looks like a misspelt hook, and a hook with the wrong parameters."""
    own = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass is Lever or not issubclass(klass, Lever):
            continue
        own.update(klass.__dict__)
    base_names = set(dir(Lever))
    for name, value in own.items():
        func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if not inspect.isfunction(func) or name.startswith("_"):
            continue
        hook = HOOKS.get(name)
        if hook is None:
            if name in base_names:
                continue
            like = difflib.get_close_matches(name.lower(), HOOKS, n=1, cutoff=HOOK_LIKENESS)
            if like:
                raise TypeError(f"lever {cls.__qualname__} ({cls.__module__}) defines {name!r}, which is not a "
                                f"hook; did you mean {like[0]!r}? The hooks are {', '.join(HOOKS)} "
                                f"(simlib.levers.base.HOOKS); rename the method if it is not meant as one")
            continue
        params = list(inspect.signature(func).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            continue
        if len(params) != len(hook.params):
            found = ", ".join(p.name for p in params)
            raise TypeError(f"lever {cls.__qualname__} ({cls.__module__}): hook {name!r} takes "
                            f"({', '.join(hook.params)}); found ({found})")


def register_lever(cls: type[Lever]) -> type[Lever]:
    """Class decorator: make ``cls.key`` a section of every strategy, handled by ``cls``.

    Refused with a ``TypeError`` naming the class: a key that is not an identifier, is a strategy
    field or is another lever's; a method whose name looks like a hook of :data:`HOOKS` but is not
    one (``at_statment``: it would never be called), with the hook it resembles; a hook whose
    parameters are not the declared ones."""
    if not (isinstance(cls.key, str) and cls.key.isidentifier()):
        raise TypeError(f"{cls.__name__}.key must be an identifier (the YAML key); found {cls.key!r}")
    if cls.key in ("description", "baseline"):
        raise TypeError(f"{cls.__name__}.key {cls.key!r} is a strategy field, not a lever")
    _check_hooks(cls)
    old = _LEVERS.get(cls.key)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"strategy key {cls.key!r} is already the lever {old.__module__}.{old.__qualname__}")
    cls._adapter = None
    _LEVERS[cls.key] = cls
    return cls


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()  # importing the module registers its levers
        except Exception as exc:
            raise ImportError(f"lever plug-in {ep.name!r} (entry point {ep.value!r} in group "
                              f"{ENTRY_POINT_GROUP!r}) failed to load: {exc}") from exc


def registered_levers() -> dict[str, type[Lever]]:
    """YAML key -> lever class, in registration order (the order hooks run and sections print)."""
    _load_entry_points()
    return dict(_LEVERS)


def describe_strategy(strategy: Any) -> str:
    """A strategy's levers in one line of plain words (plain text: escape before use in HTML)."""
    return "; ".join(lever_descriptions(strategy).values())


def lever_descriptions(strategy: Any) -> dict[str, str]:
    """YAML key -> plain words, for every lever the strategy uses that has something to say."""
    out = {}
    for key, lever in registered_levers().items():
        words = lever.describe(getattr(strategy, key))
        if words:
            out[key] = words
    return out


def uses(strategy: Any, key: str) -> bool:
    """Whether ``strategy`` uses the lever of ``key``: its section is set and not empty."""
    value = getattr(strategy, key, None)
    return not (value is None or value == [] or value == {})


def strategies_using(strategies: dict[str, Any], key: str) -> list[str]:
    """The names of ``strategies`` that use the lever of ``key``, in their order."""
    return [name for name, st in strategies.items() if uses(st, key)]


def unknown_payers(where: str, names: list[str] | None, scenario: Any) -> list[str]:
    """The problem line for payer names a scenario does not define (empty when all are known)."""
    bad = [p for p in names or [] if p not in scenario.payers]
    return [f"{where}: expected payers among {sorted(scenario.payers)}; found unknown {bad}"] if bad else []


# ---------------------------------------------------------------------- the strategy's sections
def _details(err: dict, prefix: tuple) -> InitErrorDetails:
    out = InitErrorDetails(type=err["type"], loc=(*prefix, *err["loc"]), input=err["input"])
    if "ctx" in err:
        out["ctx"] = err["ctx"]
    return out


def validate_sections(model: Any, data: Any, handler: Any) -> Any:
    """Validate a strategy: its own fields through ``handler``, each registered lever's section
    through that lever, unknown keys refused. Every problem is reported at once, with its path.
    The sections become attributes of the (frozen) strategy, in registry order."""
    if not isinstance(data, dict):
        return handler(data)
    levers = registered_levers()
    config = ConfigDict(**{k: v for k, v in model.model_config.items() if k not in ("extra", "frozen")})
    errors: list[InitErrorDetails] = []
    own = {k: v for k, v in data.items() if k in model.model_fields}
    unknown = [InitErrorDetails(type="extra_forbidden", loc=(k,), input=v)
               for k, v in data.items() if k not in levers and k not in model.model_fields]
    sections = {}
    for key, lever in levers.items():
        if key not in data:
            sections[key] = copy.deepcopy(lever.default)
            continue
        try:
            sections[key] = lever.validate(data[key], config)
        except ValidationError as exc:
            errors.extend(_details(e, (key,)) for e in exc.errors())
    try:
        strategy = handler(own)
    except ValidationError as exc:
        errors[:0] = [_details(e, ()) for e in exc.errors()]
        strategy = None
    errors.extend(unknown)
    if errors:
        raise ValidationError.from_exception_data(model.__name__, errors)
    strategy.__pydantic_extra__.update(sections)
    strategy.__pydantic_fields_set__.update(k for k in data if k in levers)
    return strategy


def dump_sections(strategy: Any, handler: Any, info: Any) -> dict:
    """Serialise a strategy like a model whose sections are fields: with ``exclude_defaults`` a
    section equal to its lever's default is left out, with ``exclude_unset`` one not given."""
    data = handler(strategy)
    if isinstance(data, dict) and (info.exclude_defaults or info.exclude_unset):
        for key, lever in registered_levers().items():
            if key in data and ((info.exclude_defaults and getattr(strategy, key) == lever.default)
                                or (info.exclude_unset and key not in strategy.model_fields_set)):
                del data[key]
    return data
