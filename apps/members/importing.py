"""Reading a CSV file of members from a gym's old system, with Python's csv module.

- `read_file`: checks the upload (size, encoding, delimiter, header, number of rows) and
  refuses it with a message a person can act on;
- `guess_mapping`: which column is which member field, from header names in English,
  Spanish, French and German;
- `data_rows`: the file's rows with the line number each starts on (as a spreadsheet
  numbers them: the header is line 1);
- `parse_row`: one row's cells as member fields, with what is wrong in them.

No database here: what a row means for the gym (a new member, one already there, a
duplicate) is decided in `selectors.member_import_check`, which both the preview and the
import use.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.common.errors import ApplicationError
from apps.members.models import MemberStatus

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# Files with more rows are imported by a Celery task while the page shows the progress;
# smaller ones through the same code while the page waits. A row costs ~20 ms (1,000 rows
# in 19 s on this machine): 50 rows keep that request near a second; 500 held it ~10 s.
BACKGROUND_ABOVE = 50
PREVIEW_ROWS = 20
MAX_NUMBER = 2_147_483_647  # PositiveIntegerField

# What a column can be imported as, in the order the mapping selects list them.
FIELD_LABELS = {
    "full_name": gettext_lazy("Name (first and last)"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "plan": gettext_lazy("Plan"),
    "status": gettext_lazy("Status"),
    "number": gettext_lazy("Member number"),
    "joined_on": gettext_lazy("Join date"),
    "notes": gettext_lazy("Notes"),
}
# Several columns may feed the notes (joined); every other field takes one column.
REPEATABLE = frozenset({"notes"})
NAME_FIELDS = frozenset({"full_name", "first_name"})
KEY_FIELDS = frozenset({"email", "number"})

ENCODING_LABELS = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": gettext_lazy("Windows-1252 (Western European)"),
    "latin-1": gettext_lazy("Latin-1 (Western European)"),
}
DELIMITER_LABELS = {",": ",", ";": ";", "\t": gettext_lazy("Tab")}


def normalise(text: str) -> str:
    """`E-Mail-Adresse` -> `emailadresse`, `Prénom` -> `prenom`: header names and status
    words compared without case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


# Header names (normalised) per field, in en/es/fr/de and what old systems write.
_HEADERS = {
    "email": {
        "email", "mail", "emailaddress", "emailadresse", "mailadresse", "correo",
        "correoelectronico", "courriel", "adressemail", "adresseemail", "adresseelectronique",
        "mel",
    },
    "first_name": {
        "firstname", "first", "givenname", "forename", "vorname", "rufname", "prenom",
        "primernombre", "nombredepila",
    },
    "last_name": {
        "lastname", "last", "surname", "familyname", "nachname", "familienname", "zuname",
        "apellido", "apellidos", "nomdefamille", "nomfamille",
    },
    "full_name": {
        "fullname", "membername", "member", "mitglied", "mitgliedsname", "nombrecompleto",
        "nomcomplet", "nometprenom", "prenometnom", "vollstaendigername", "vollername",
        "customer", "client", "cliente", "kunde", "socio", "adherent", "membre",
    },
    "phone": {
        "phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell",
        "cellphone", "telefono", "movil", "celular", "telefon", "telefonnummer", "handy",
        "handynummer", "mobil", "mobilnummer", "portable", "numerodetelephone",
    },
    "date_of_birth": {
        "dateofbirth", "birthdate", "birthday", "dob", "born", "fechadenacimiento",
        "fechanacimiento", "nacimiento", "cumpleanos", "datedenaissance", "datenaissance",
        "naissance", "geburtsdatum", "geburtstag", "geboren", "gebdatum",
    },
    "plan": {
        "plan", "membershipplan", "membership", "membershiptype", "tariff", "tarif", "tarifa",
        "abo", "abonnement", "abotyp", "vertrag", "mitgliedschaft", "plandemembresia",
        "membresia", "suscripcion", "cuota", "formule", "forfait",
    },
    "status": {
        "status", "state", "membershipstatus", "memberstatus", "estado", "statut", "etat",
        "mitgliedsstatus",
    },
    "number": {
        "membernumber", "memberno", "membernr", "memberid", "number", "no", "nr", "id",
        "numero", "numerodesocio", "nsocio", "nosocio", "numsocio", "numerodemembre",
        "numeroadherent", "numerodadherent", "mitgliedsnummer", "mitgliedsnr", "mitgliednr",
        "kundennummer", "kundennr",
    },
    "joined_on": {
        "joined", "joinedon", "joindate", "datejoined", "membersince", "startdate",
        "fechadealta", "fechaalta", "alta", "fechadeinscripcion", "inscripcion",
        "datedinscription", "inscription", "datedadhesion", "adhesion", "eintrittsdatum",
        "eintritt", "mitgliedseit", "beginn",
    },
    "notes": {
        "notes", "note", "comment", "comments", "remarks", "notas", "nota", "observaciones",
        "comentarios", "comentario", "remarques", "remarque", "commentaire", "commentaires",
        "bemerkung", "bemerkungen", "notiz", "notizen", "anmerkung", "anmerkungen",
        "kommentar",
    },
}  # fmt: skip
# Parts of longer header names ("Telefon (mobil)", "Geburtsdatum TT.MM.JJJJ").
_STEMS = [
    ("mail", "email"), ("correo", "email"), ("courriel", "email"),
    ("vorname", "first_name"), ("prenom", "first_name"), ("firstname", "first_name"),
    ("nachname", "last_name"), ("apellido", "last_name"), ("lastname", "last_name"),
    ("surname", "last_name"),
    ("phone", "phone"), ("telef", "phone"), ("handy", "phone"), ("mobil", "phone"),
    ("movil", "phone"),
    ("birth", "date_of_birth"), ("geburt", "date_of_birth"), ("naissance", "date_of_birth"),
    ("nacimiento", "date_of_birth"),
    ("mitgliedsn", "number"), ("membernum", "number"),
    ("notiz", "notes"), ("bemerk", "notes"), ("comment", "notes"), ("kommentar", "notes"),
]  # fmt: skip
# "Name" is the last name next to "Vorname", the first name next to "Apellidos", and the
# whole name alone; so are "Nom" (French) and "Nombre" (Spanish).
_AMBIGUOUS_NAMES = {"name", "namen", "nom", "nombre"}


def guess_mapping(header: list[str]) -> list[str]:
    """One field key (or "" for "not imported") per column, from the column's name."""
    keys = [normalise(name) for name in header]
    mapping: list[str] = []
    for key in keys:
        found = next((f for f, names in _HEADERS.items() if key in names), "")
        if not found and key not in _AMBIGUOUS_NAMES:
            found = next((f for stem, f in _STEMS if stem in key), "")
        if found in mapping and found not in REPEATABLE:
            found = ""  # a second "Email" column stays unused; staff may pick it instead
        mapping.append(found)
    for index, key in enumerate(keys):
        if mapping[index] or key not in _AMBIGUOUS_NAMES:
            continue
        if "first_name" in mapping and "last_name" not in mapping:
            mapping[index] = "last_name"
        elif "last_name" in mapping and "first_name" not in mapping:
            mapping[index] = "first_name"
        elif not {"first_name", "last_name", "full_name"} & set(mapping):
            mapping[index] = "full_name"
    return mapping


def mapping_problems(mapping: list[str]) -> list[str]:
    """What stops a mapping from being imported (empty: it can be)."""
    problems = []
    for key in FIELD_LABELS:
        if key not in REPEATABLE and mapping.count(key) > 1:
            problems.append(
                _("“%(field)s” is chosen for more than one column.") % {"field": FIELD_LABELS[key]}
            )
    if not NAME_FIELDS & set(mapping):
        problems.append(_("Choose the column with the members' names (or first names)."))
    if not KEY_FIELDS & set(mapping):
        problems.append(
            _(
                "Choose the column with the email or the member number: the import recognises "
                "members already in the gym by them."
            )
        )
    return problems


# --- The file ------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    encoding: str  # the codec it was decoded with (ENCODING_LABELS)
    delimiter: str
    header: list[str]
    row_count: int

    @property
    def utf8(self) -> bool:
        return self.encoding == "utf-8-sig"


def _refuse(message: str, code: str = "invalid_file") -> ApplicationError:
    return ApplicationError(message, code=code, details={"file": [message]})


def too_large_error() -> ApplicationError:
    return _refuse(
        _("The file is larger than %(size)s MB. Split it into smaller files.")
        % {"size": MAX_BYTES // (1024 * 1024)},
        "file_too_large",
    )


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the codec: UTF-8 (with or without a byte-order mark), UTF-16 with one,
    else Windows-1252 (Excel's "CSV" on Windows) and, for its five undefined bytes,
    Latin-1, which reads any byte."""
    if encoding:
        return data.decode(encoding), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        # One column, or no consistent pattern: the header line's most frequent separator.
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in (";", ",", "\t")}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for every record, blank ones included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _refuse(
                _("Line %(line)s could not be read: %(error)s") % {"line": start, "error": exc}
            ) from exc
        yield start, cells
        start = reader.line_num + 1


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _looks_like_data(header: list[str]) -> bool:
    if any("@" in cell for cell in header):
        return True  # an address: never a column name (and "gmail" would guess "email")
    numeric = any(re.fullmatch(r"[\d\s./:+-]+", cell) for cell in header if cell)
    return numeric and not any(guess_mapping(header))


def read_file(data: bytes) -> CsvFile:
    """Check an uploaded file and describe it, or refuse it (ApplicationError)."""
    if len(data) > MAX_BYTES:
        raise too_large_error()
    if not data.strip():
        raise _refuse(_("The file is empty."), "empty_file")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _refuse(
            _(
                "This is a spreadsheet workbook, not a CSV file. Open it in your spreadsheet "
                "program and save it as “CSV UTF-8”, then upload that file."
            ),
            "not_csv",
        )
    text, encoding = decode(data)
    if "\x00" in text:
        raise _refuse(_("This does not look like a CSV file."), "not_csv")
    delimiter = _sniff_delimiter(text)
    records = (record for record in _records(text, delimiter) if not _blank(record[1]))
    first = next(records, None)
    if first is None:
        raise _refuse(_("The file is empty."), "empty_file")
    header = [cell.strip() for cell in first[1]]
    if _looks_like_data(header):
        raise _refuse(
            _(
                "The first line looks like a member, not like column names. Add a first line "
                "that names the columns (for example: Name, Email, Phone)."
            ),
            "no_header",
        )
    rows = 0
    for _record in records:
        rows += 1
        if rows > MAX_ROWS:
            raise _refuse(
                _(
                    "The file has more than %(max)s members. Split it into files of up to "
                    "%(max)s rows and import them one after the other."
                )
                % {"max": f"{MAX_ROWS:,}"},
                "too_many_rows",
            )
    if not rows:
        raise _refuse(_("The file has column names but no members below them."), "no_rows")
    return CsvFile(encoding=encoding, delimiter=delimiter, header=header, row_count=rows)


def data_rows(data: bytes, *, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The rows below the header, blank ones left out: (line it starts on, cells)."""
    text, _codec = decode(data, encoding)
    records = (record for record in _records(text, delimiter) if not _blank(record[1]))
    next(records, None)  # the header
    yield from records


# --- Cells ---------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its field; the message says why, for people."""


def clean_cell(value: str) -> str:
    """Trimmed, without NUL; a leading apostrophe that a spreadsheet export put before
    = + - @ (our own failed-rows file does) is taken off again."""
    value = value.replace("\x00", "").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        value = value[1:]
    return value


def spreadsheet_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets: these are typed by people.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _numeric_formats(language: str) -> list[str]:
    # Four-digit years only: a two-digit one (31.12.90) is ambiguous for a birth date.
    return [
        fmt
        for fmt in formats.get_format("DATE_INPUT_FORMATS", lang=language, use_l10n=True)
        if "%y" not in fmt and fmt != "%Y-%m-%d"
    ]


def _month_first(language: str) -> bool:
    numeric = [f for f in _numeric_formats(language) if f.startswith(("%d", "%m"))]
    return bool(numeric) and numeric[0].startswith("%m")


def date_example(language: str) -> str:
    """31.12.1990 (de), 31/12/1990 (es, fr), 12/31/1990 (en): the gym's usual way."""
    numeric = [f for f in _numeric_formats(language) if f.startswith(("%d", "%m"))]
    return dt.date(1990, 12, 31).strftime(numeric[0] if numeric else "%d.%m.%Y")


def parse_date(value: str, *, language: str) -> dt.date:
    """ISO (1990-12-31, also with a time after it) or the gym's language's usual order of
    day and month with . / or - between them, or one of Django's formats for it."""
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", value)
    numeric = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", value)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if numeric:
            first, second, year = int(numeric[1]), int(numeric[2]), int(numeric[3])
            month, day = (first, second) if _month_first(language) else (second, first)
            return dt.date(year, month, day)
        for fmt in _numeric_formats(language):
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                continue
    except ValueError:
        pass
    raise CellError(
        _("“%(value)s” is not a date (write it as %(example)s or 1990-12-31).")
        % {"value": value, "example": date_example(language)}
    )


_STATUS_WORDS = {
    MemberStatus.LEAD: {
        "lead", "prospect", "interested", "interessent", "interesado", "interesada",
        "prospecto",
    },
    MemberStatus.TRIAL: {
        "trial", "trialing", "ontrial", "probe", "probetraining", "probemitglied",
        "probemonat", "prueba", "enprueba", "essai", "alessai", "periodedessai",
    },
    MemberStatus.ACTIVE: {"active", "activo", "activa", "actif", "aktiv", "current"},
    MemberStatus.FROZEN: {
        "frozen", "freeze", "paused", "pause", "onhold", "suspended", "congelado",
        "congelada", "pausado", "pausada", "suspendido", "gele", "suspendu", "enpause",
        "pausiert", "eingefroren", "ruhend", "ruhepause", "stillgelegt",
    },
    MemberStatus.CANCELLED: {
        "cancelled", "canceled", "cancel", "inactive", "ended", "terminated", "former",
        "expired", "cancelado", "cancelada", "baja", "debaja", "inactivo", "inactiva",
        "annule", "annulee", "resilie", "resiliee", "inactif", "termine", "gekundigt",
        "gekuendigt", "inaktiv", "beendet", "ausgetreten", "storniert",
    },
}  # fmt: skip


@lru_cache(maxsize=1)
def _status_words() -> dict[str, str]:
    """Every word read as a status: the codes, their labels in each language, synonyms."""
    words = {word: status for status, names in _STATUS_WORDS.items() for word in names}
    for language in settings.LANGUAGES:
        with translation.override(language[0]):
            for status, label in MemberStatus.choices:
                words.setdefault(normalise(str(label)), status)
    for status in MemberStatus.values:
        words[status] = status
    return words


def parse_status(value: str) -> str:
    found = _status_words().get(normalise(value))
    if found is None:
        raise CellError(
            _("Unknown status “%(value)s” (use one of: %(choices)s).")
            % {"value": value, "choices": ", ".join(str(label) for label in MemberStatus.labels)}
        )
    return found


def parse_email(value: str) -> str:
    email = value.lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise CellError(_("“%(value)s” is not an email address.") % {"value": value}) from exc
    return email


def parse_number(value: str) -> int:
    digits = value.lstrip("#").replace(" ", "")
    if not digits.isdigit() or not 0 < int(digits) <= MAX_NUMBER:
        raise CellError(
            _("Member number “%(value)s” is not a whole number above 0.") % {"value": value}
        )
    return int(digits)


def split_full_name(value: str) -> tuple[str, str]:
    """`Schmidt, Anna` -> (Anna, Schmidt); `Anna Maria Schmidt` -> (Anna, Maria Schmidt):
    the first word is the first name, as most old systems write it."""
    if "," in value:
        last, first = (part.strip() for part in value.split(",", 1))
        return (first, last) if first else (last, "")
    first, _space, last = value.partition(" ")
    return first, last.strip()


@dataclass
class ParsedRow:
    fields: dict = field(default_factory=dict)  # member fields the file gives a value for
    number: int | None = None
    errors: list[str] = field(default_factory=list)


def parse_row(cells: list[str], mapping: list[str], *, language: str, plans: dict) -> ParsedRow:
    """One row's cells as member fields. `plans` maps normalised plan names to the gym's
    plans; a plan sets the member's tier (the subscription itself is Stripe's)."""
    row = ParsedRow()
    values: dict[str, list[str]] = {}
    for index, key in enumerate(mapping):
        cell = clean_cell(cells[index]) if index < len(cells) else ""
        if key and cell:
            values.setdefault(key, []).append(cell)

    def one(key: str) -> str:
        return values.get(key, [""])[0]

    first, last = one("first_name"), one("last_name")
    if one("full_name"):
        split_first, split_last = split_full_name(one("full_name"))
        first, last = first or split_first, last or split_last
    if first:
        row.fields["first_name"] = first
    if last:
        row.fields["last_name"] = last
    if one("phone"):
        row.fields["phone"] = one("phone")
    if values.get("notes"):
        row.fields["notes"] = "\n".join(values["notes"])
    parsers = {
        "email": parse_email,
        "date_of_birth": lambda v: parse_date(v, language=language),
        "joined_on": lambda v: parse_date(v, language=language),
        "status": parse_status,
        "number": parse_number,
    }
    for key, parse in parsers.items():
        if not one(key):
            continue
        try:
            value = parse(one(key))
        except CellError as exc:
            row.errors.append(str(exc))
            continue
        if key == "number":
            row.number = value
        else:
            row.fields[key] = value
    birth = row.fields.get("date_of_birth")
    if birth and birth > timezone.localdate():
        row.errors.append(_("The date of birth is in the future."))
        del row.fields["date_of_birth"]
    if one("plan"):
        plan = plans.get(normalise(one("plan")))
        if plan is None:
            row.errors.append(_unknown_plan(one("plan"), plans))
        else:
            row.fields["tier"] = plan.tier
    return row


def _unknown_plan(value: str, plans: dict) -> str:
    if not plans:
        return _(
            "Unknown plan “%(value)s”: the gym has no plans yet (add them under Billing, or "
            "do not import this column)."
        ) % {"value": value}
    names = ", ".join(sorted({plan.name for plan in plans.values()}))
    return _("Unknown plan “%(value)s” (the gym's plans: %(names)s).") % {
        "value": value,
        "names": names,
    }


def highest_number(rows: Iterable[tuple[int, list[str]]], mapping: list[str]) -> int | None:
    """The highest valid member number in the file's number column (None: none)."""
    if "number" not in mapping:
        return None
    column = mapping.index("number")
    highest = None
    for _line, cells in rows:
        try:
            number = parse_number(clean_cell(cells[column]))
        except (IndexError, CellError):
            continue
        highest = number if highest is None else max(highest, number)
    return highest


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
