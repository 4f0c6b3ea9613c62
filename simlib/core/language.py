"""The language and money of the words a board reads: which language a page speaks, in which
locale its numbers are written and in which currency its money is, and the message catalogue
(gettext, compiled by Babel) that turns an English sentence into that language.

* :func:`_` translates a board-facing message now (``_("Executive summary")``); :func:`N_` only
  marks one for extraction where the text is a constant translated later, when shown;
  :func:`ngettext` picks the plural form of the language.
* :func:`speaking` is the scope of a language and currency (a context variable: threads and
  tasks keep their own); :func:`set_language` sets the default of the whole process (a notebook's
  kernel, where each cell may run in a fresh context). With neither, the language is US English
  and the money US dollars, and every page reads exactly as before the catalogue existed.
* The catalogues' sources are ``simlib/report/locales/<lang>/LC_MESSAGES/simlib.po`` (kept with
  Babel: ``docs/reports.md``, "Languages"); they are compiled in memory by Babel the first time a
  language is used, so a fresh clone needs no build step and no compiled file is committed.
"""
from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import io
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

#: The languages a page can be written in, and the locale (language and territory) each writes
#: its numbers in: French as in France, Spanish as in Chile (the markets of the project's sources).
LANGUAGES: dict[str, str] = {"en": "en_US", "fr": "fr_FR", "es": "es_CL"}
DEFAULT_LANGUAGE, DEFAULT_CURRENCY = "en", "USD"
#: The money a page in each language is in when nothing says otherwise (a calibration report has
#: no scenario: ``simlib calibrate report --language fr`` is in euros unless ``--currency`` says).
HOME_CURRENCY: dict[str, str] = {"en": "USD", "fr": "EUR", "es": "CLP"}
#: Where the catalogues' ``.po`` sources live (one folder per language, gettext's layout).
LOCALE_DIR = Path(__file__).resolve().parents[1] / "report" / "locales"
DOMAIN = "simlib"


@dataclass(frozen=True)
class Speech:
    """A page's language (``en``, ``fr``, ``es``), the Babel locale its numbers follow and the
    ISO 4217 code of its money."""

    language: str = DEFAULT_LANGUAGE
    currency: str = DEFAULT_CURRENCY

    @property
    def locale(self) -> str:
        return LANGUAGES[self.language]

    @property
    def is_us_default(self) -> bool:
        """US English and US dollars: the formatting every page had before it had a language."""
        return self.language == DEFAULT_LANGUAGE and self.currency == DEFAULT_CURRENCY


_process_default = Speech()
_scoped: ContextVar[Speech | None] = ContextVar("simlib_speech", default=None)


def speech() -> Speech:
    """The language and currency in force here."""
    return _scoped.get() or _process_default


def _checked(language: str | None, currency: str | None) -> Speech:
    language = (language or DEFAULT_LANGUAGE).strip().lower()
    if language not in LANGUAGES:
        raise ValueError(f"language: expected one of {', '.join(LANGUAGES)}; found {language!r}")
    currency = (currency or DEFAULT_CURRENCY).strip().upper()
    from babel.numbers import is_currency

    if not is_currency(currency):
        raise ValueError(f"currency: expected an ISO 4217 code such as USD, EUR or CLP; found {currency!r}")
    return Speech(language, currency)


@contextlib.contextmanager
def speaking(language: str | None = None, currency: str | None = None) -> Iterator[Speech]:
    """Within the block, messages are in ``language`` and money in ``currency`` (None: the defaults,
    en and USD). ValueError for a language or currency the package does not know."""
    token = _scoped.set(_checked(language, currency))
    try:
        yield _scoped.get()
    finally:
        _scoped.reset(token)


def set_language(language: str | None = None, currency: str | None = None) -> Speech:
    """Make ``language`` and ``currency`` the process's default (a notebook kernel's), and return it."""
    global _process_default
    _process_default = _checked(language, currency)
    return _process_default


def scenario_speech(scenario, language: str | None = None) -> Speech:
    """A scenario's language and currency (its ``language`` and ``currency`` keys when it has them);
    a non-empty ``language`` overrides the scenario's (a notebook parameter)."""
    return _checked(language or getattr(scenario, "language", None), getattr(scenario, "currency", None))


def page_speech(language: str | None = None, currency: str | None = None) -> Speech:
    """A page without a scenario (the calibration report): ``language`` (default English) and
    ``currency`` (default the language's :data:`HOME_CURRENCY`). ValueError for unknown ones."""
    language = (language or DEFAULT_LANGUAGE).strip().lower()
    return _checked(language, currency or HOME_CURRENCY.get(language))


def po_file(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: no catalogue, messages as written).
    Fuzzy entries (not yet reviewed) are left out, so they read in English."""
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po_file(language), "rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """``message`` in the language in force (as written when the catalogue lacks it)."""
    return translations(speech().language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, by the language's plural rule."""
    return translations(speech().language).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a constant for the catalogue without translating it (it is translated when shown)."""
    return message


def currency_name(plural: bool = True) -> str:
    """The currency in words in the language in force ("US dollars", "euros", "pesos chilenos")."""
    from babel.numbers import get_currency_name

    s = speech()
    return get_currency_name(s.currency, count=2 if plural else 1, locale=s.locale)


def number_text(value: float, digits: int = 0) -> str:
    """A number in the locale in force with ``digits`` decimals and grouping (``1,095``,
    ``1 095``, ``1.095``): days, counts and settings inside a sentence."""
    s = speech()
    if s.language == DEFAULT_LANGUAGE:
        return f"{value:,.{digits}f}"
    from babel.numbers import format_decimal

    return format_decimal(round(float(value), digits), format="#,##0" + ("." + "0" * digits if digits else ""),
                          locale=s.locale)


def short_number_text(value: float) -> str:
    """A setting as Python's ``:g`` writes it (``365``, ``0.5``), with the locale's decimal sign."""
    text = f"{value:g}"
    if speech().language == DEFAULT_LANGUAGE:
        return text
    from babel.numbers import get_decimal_symbol

    return text.replace(".", get_decimal_symbol(speech().locale))


def money_text(amount: float, digits: int = 0) -> str:
    """Whole units (or ``digits`` decimals) of the currency in force, in the locale (``$25,000``,
    ``25 000 €``, ``$25.000``)."""
    s = speech()
    if s.is_us_default:
        return f"${amount:,.{digits}f}"
    from babel.core import Locale
    from babel.numbers import format_currency

    pattern = Locale.parse(s.locale).currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace("0.00", "0" + ("." + "0" * digits if digits else ""))
    return format_currency(round(float(amount), digits), s.currency, format=pattern, locale=s.locale,
                           currency_digits=False)


def localised(text: str) -> str:
    """A number Python wrote (``1,234.5``) with the decimal sign and grouping of the language in
    force (``1 234,5``); as it is in English."""
    s = speech()
    if s.language == DEFAULT_LANGUAGE:
        return text
    from babel.numbers import get_decimal_symbol, get_group_symbol

    decimal, group = get_decimal_symbol(s.locale), get_group_symbol(s.locale)
    return "".join(decimal if c == "." else group if c == "," else c for c in text)


def currency_symbol() -> str:
    """The currency's sign in the locale in force (``$``, ``€``, ``$`` for pesos in Chile)."""
    s = speech()
    if s.is_us_default:
        return "$"
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(s.currency, locale=s.locale)


def currency_words(code: str) -> str:
    """The currency ``code`` in words, plural, in the language in force ("euros", "pesos chilenos")."""
    from babel.numbers import get_currency_name

    return get_currency_name(code, count=2, locale=speech().locale)


def percent_text(share: float, digits: int = 0) -> str:
    """A share as a percentage with ``digits`` decimals in the locale in force (``95%`` as Python
    writes it in English, ``95 %`` in French and Spanish): confidence levels and splits."""
    s = speech()
    if s.language == DEFAULT_LANGUAGE:
        return f"{share:.{digits}%}"
    from babel.numbers import format_percent

    return format_percent(share, format="#,##0" + ("." + "0" * digits if digits else "") + "\u00a0%",
                          locale=s.locale)
