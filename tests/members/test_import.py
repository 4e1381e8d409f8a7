"""Importing members from a CSV file (Members > Import members): upload, column mapping
with a preview, the import itself (idempotent by email), the task path for large files
with its progress, and who may do it."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.services import plan_create
from apps.members import importing, services
from apps.members.models import ImportStatus, Member, MemberImport
from apps.members.tasks import run_member_import
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Gym
from tests.factories import MemberFactory

HEADER = "Name,Email,Phone,Birth date,Plan,Status,Member number,Notes\n"


def upload(client, content: bytes | str, name="members.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/dashboard/members/import/", {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def mapping_data(page, action="import", **overrides) -> dict:
    """The mapping form as the page shows it (the guessed mapping), with `overrides`."""
    form = page.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(overrides, action=action)
    return data


def start(client, content, action="import", **overrides):
    """Upload `content`, post the guessed mapping; -> (import id, final response)."""
    response = upload(client, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    assert page.status_code == 200
    done = client.post(response["Location"], mapping_data(page, action, **overrides))
    import_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    return import_id, done


def get_import(gym, import_id) -> MemberImport:
    with tenant_context(gym):
        return MemberImport.objects.get(pk=import_id)


@pytest.fixture
def owner_client(gym_a, make_user, web):
    return web(gym_a, make_user(gym_a, Role.OWNER))


@pytest.fixture(autouse=True)
def _stored_files_removed(gym_a):
    yield
    with tenant_context(gym_a):  # drafts keep their file (a done import deletes its own)
        for member_import in MemberImport.objects.exclude(file=""):
            member_import.file.delete(save=False)


def test_owner_imports_a_file_and_sees_created_members(gym_a, owner_client):
    with tenant_context(gym_a):
        plan_create(
            data={"name": "Gold Monthly", "price_minor": 4900, "interval": "month", "tier": "pro"}
        )
    content = (
        HEADER
        + "Anna Schmidt,Anna@Example.test,+49 170 1,1990-12-31,gold monthly,Active,501,likes yoga\n"
        + "Bob Stone,bob@example.test,,,,,,\n"
    )
    response = upload(owner_client, content)
    page = owner_client.get(response["Location"])
    html = page.content.decode()
    assert "2 new members will be created." in html
    assert 'data-line="2" data-outcome="create"' in html and "Anna Schmidt" in html
    assert page.context["form"].initial["column_1"] == "email"

    done = owner_client.post(response["Location"], mapping_data(page))
    assert done.status_code == 302
    result = owner_client.get(done["Location"]).content.decode()
    assert 'data-count="created"><span class="num">2<' in result
    with tenant_context(gym_a):
        anna = Member.objects.get(email="anna@example.test")
        assert (anna.first_name, anna.last_name, anna.number) == ("Anna", "Schmidt", 501)
        assert anna.date_of_birth == date(1990, 12, 31) and anna.phone == "+49 170 1"
        assert (anna.status, anna.tier, anna.notes) == ("active", "pro", "likes yoga")
        bob = Member.objects.get(email="bob@example.test")
        assert bob.status == "active"  # the default for rows without a status
        assert bob.number > 501  # numbers from the sequence continue after the file's
        done_import = MemberImport.objects.get()
        assert done_import.status == ImportStatus.DONE and not done_import.file
        assert done_import.created_by is not None


def test_members_page_and_set_up_step_lead_to_the_import(gym_a, owner_client):
    assert b'href="/dashboard/members/import/"' in owner_client.get("/dashboard/members/").content
    home = owner_client.get("/dashboard/").content.decode()
    step = home.split('data-step="members"', 1)[1].split("</li>", 1)[0]
    assert 'href="/dashboard/members/import/"' in step


def test_german_headers_are_guessed_and_first_and_last_name_combined(gym_a, owner_client):
    Gym.objects.filter(pk=gym_a.pk).update(default_language="de")  # dates: 31.12.1990
    gym_cache_clear()
    content = (
        "Vorname;Nachname;E-Mail-Adresse;Telefon (mobil);Geburtsdatum;Status;Mitgliedsnummer;"
        "Bemerkung\n"
        "Jürgen;Müller;juergen@example.test;0170 2;31.12.1990;Gekündigt;77;Rücken\n"
    )
    response = upload(owner_client, content)
    with tenant_context(gym_a):
        member_import = MemberImport.objects.get()
    assert member_import.delimiter == ";"
    assert member_import.mapping == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "status",
        "number",
        "notes",
    ]
    page = owner_client.get(response["Location"])
    assert "Jürgen Müller" in page.content.decode()
    owner_client.post(response["Location"], mapping_data(page))
    with tenant_context(gym_a):
        member = Member.objects.get(number=77)
        assert member.full_name == "Jürgen Müller" and member.status == "cancelled"
        assert member.date_of_birth == date(1990, 12, 31)


def test_dates_are_read_in_iso_and_in_the_gyms_language(gym_a, owner_client):
    content = (
        "Name,Email,Birth date\n"
        "Ann Lee,ann@example.test,12/31/1990\n"
        "Bo Li,bo@example.test,31.12.1990\n"
        "Cy Po,cy@example.test,1990-12-31\n"
    )
    # Gym A speaks English: month first, so 31.12.1990 is refused (with an example).
    html = owner_client.get(upload(owner_client, content)["Location"]).content.decode()
    assert 'data-line="2" data-outcome="create"' in html
    assert 'data-line="3" data-outcome="error"' in html and "write it as 12/31/1990" in html
    assert 'data-line="4" data-outcome="create"' in html
    # A German gym: day first.
    Gym.objects.filter(pk=gym_a.pk).update(default_language="de")
    gym_cache_clear()
    html = owner_client.get(upload(owner_client, content)["Location"]).content.decode()
    assert 'data-line="2" data-outcome="error"' in html
    assert 'data-line="3" data-outcome="create"' in html
    assert 'data-line="4" data-outcome="create"' in html


def test_semicolons_and_latin_1_are_read_with_a_notice(gym_a, owner_client):
    content = "Nom;Prénom;Courriel\nLefèvre;Éloïse;eloise@example.test\n".encode("latin-1")
    response = upload(owner_client, content)
    page = owner_client.get(response["Location"])
    html = page.content.decode()
    assert "data-encoding-warning" in html and "not UTF-8" in html
    assert "Éloïse Lefèvre" in html
    owner_client.post(response["Location"], mapping_data(page))
    with tenant_context(gym_a):
        member = Member.objects.get(email="eloise@example.test")
        assert (member.first_name, member.last_name) == ("Éloïse", "Lefèvre")
    # A UTF-8 file (with Excel's byte-order mark) gets no notice.
    response = upload(owner_client, "\ufeffName,Email\nZoë Ng,zoe@example.test\n".encode())
    assert "data-encoding-warning" not in owner_client.get(response["Location"]).content.decode()


def test_bad_rows_are_shown_with_their_line_numbers_and_nothing_else_is_lost(gym_a, owner_client):
    with tenant_context(gym_a):
        plan_create(
            data={"name": "Basic", "price_minor": 2900, "interval": "month", "tier": "basic"}
        )
    content = (
        HEADER
        + "Good One,good@example.test,,,,,,\n"
        + "Bad Mail,not-an-email,,,,,,\n"  # line 3
        + "\n"  # a blank line 4 is skipped but still counts as a line
        + "Bad Date,date@example.test,,1990-02-30,,,,\n"  # line 5
        + "Bad Plan,plan@example.test,,,Platinum,,,\n"  # line 6
        + "Bad Status,status@example.test,,,,retired,,\n"  # line 7
        + '"Multi, Line",multi@example.test,,,,,,"first\nsecond"\n'  # lines 8-9
        + "Good Two,two@example.test,,,Basic,,,\n"  # line 10
    )
    import_id, done = start(owner_client, content, action="preview")
    html = owner_client.get(done["Location"]).content.decode()
    assert "Line 3: “not-an-email” is not an email address." in html
    assert "Line 5: “1990-02-30” is not a date" in html
    assert "Line 6: Unknown plan “Platinum” (the gym&#x27;s plans: Basic)." in html
    assert "Line 7: Unknown status “retired”" in html
    assert 'data-line="10" data-outcome="create"' in html
    assert "4 rows have errors and will not be imported." in html

    page = owner_client.get(f"/dashboard/members/import/{import_id}/")
    owner_client.post(f"/dashboard/members/import/{import_id}/", mapping_data(page))
    member_import = get_import(gym_a, import_id)
    assert (member_import.created_count, member_import.failed_count) == (3, 4)
    assert [error["line"] for error in member_import.errors] == [3, 5, 6, 7]
    with tenant_context(gym_a):
        assert set(Member.objects.values_list("email", flat=True)) == {
            "good@example.test",
            "multi@example.test",
            "two@example.test",
        }
        assert Member.objects.get(email="multi@example.test").notes == "first\nsecond"

    failed = owner_client.get(f"/dashboard/members/import/{import_id}/failed.csv")
    assert failed["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(failed.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["line", "reason", "Name", "Email"]
    assert rows[1][:4] == [
        "3",
        "“not-an-email” is not an email address.",
        "Bad Mail",
        "not-an-email",
    ]
    assert [row[0] for row in rows[1:]] == ["3", "5", "6", "7"]


def test_the_same_email_twice_in_a_file_is_refused_the_second_time(gym_a, owner_client):
    content = "Name,Email\nAnna One,anna@example.test\nAnna Two,ANNA@example.test\n"
    import_id, done = start(owner_client, content, action="preview")
    assert "Line 3: Same email as line 2." in owner_client.get(done["Location"]).content.decode()
    page = owner_client.get(done["Location"])
    owner_client.post(done["Location"], mapping_data(page))
    member_import = get_import(gym_a, import_id)
    assert (member_import.created_count, member_import.failed_count) == (1, 1)
    with tenant_context(gym_a):
        assert Member.objects.get().first_name == "Anna"


def test_importing_the_same_file_again_creates_nobody(gym_a, owner_client):
    content = (
        HEADER
        + "Anna Schmidt,anna@example.test,+49 1,,,Active,900,vip\n"
        + "Bob Stone,,,,,Frozen,901,\n"  # no email: recognised by the member number
    )
    first_id, _done = start(owner_client, content)
    assert get_import(gym_a, first_id).created_count == 2
    second_id, done = start(owner_client, content)
    second = get_import(gym_a, second_id)
    assert (second.created_count, second.updated_count, second.skipped_count) == (0, 0, 2)
    assert second.failed_count == 0
    with tenant_context(gym_a):
        assert Member.objects.count() == 2
        assert Member.objects.get(number=900).notes == "vip"  # not added twice


@pytest.mark.parametrize("choice", ["update", "skip"])
def test_members_already_in_the_gym_are_updated_or_skipped_as_chosen(
    choice, gym_a, make_member, owner_client
):
    existing = make_member(
        gym_a, first_name="Old", last_name="Name", email="anna@example.test", notes="from desk"
    )
    content = HEADER + "Anna Schmidt,anna@example.test,+49 170,,,Frozen,,paid cash\n"
    response = upload(owner_client, content)
    page = owner_client.get(response["Location"])
    preview = owner_client.post(
        response["Location"], mapping_data(page, "preview", on_existing=choice)
    )
    html = owner_client.get(preview["Location"]).content.decode()
    expected = "update" if choice == "update" else "skip"
    assert f'data-line="2" data-outcome="{expected}"' in html
    owner_client.post(response["Location"], mapping_data(page, on_existing=choice))
    with tenant_context(gym_a):
        existing.refresh_from_db()
        member_import = MemberImport.objects.get()
        assert Member.objects.count() == 1
    if choice == "update":
        assert member_import.updated_count == 1
        assert (existing.first_name, existing.phone, existing.status) == (
            "Anna",
            "+49 170",
            "frozen",
        )
        assert existing.notes == "from desk\n\npaid cash"  # added, not replaced
    else:
        assert member_import.skipped_count == 1
        assert (existing.first_name, existing.phone, existing.notes) == ("Old", "", "from desk")


def test_a_member_number_of_someone_else_is_refused(gym_a, make_member, owner_client):
    taken = make_member(gym_a, first_name="Taken", email="taken@example.test")
    content = f"Name,Email,Member number\nNew Person,new@example.test,{taken.number}\n"
    import_id, _done = start(owner_client, content)
    member_import = get_import(gym_a, import_id)
    assert member_import.failed_count == 1
    assert f"Member number {taken.number} belongs to Taken" in member_import.errors[0]["reason"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n", "The file is empty."),
        (b"anna@example.test,Anna\nbob@example.test,Bob\n", "looks like a member"),
        (b"Name,Email\n", "no members below them"),
        (b"PK\x03\x04\x14\x00", "spreadsheet workbook"),
        (
            (HEADER + "A B,a@b.test,,,,,,\n" * (importing.MAX_ROWS + 1)).encode(),
            "more than 20,000 members",
        ),
        (b"Name,Notes\n" + b"x" * (importing.MAX_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(content, message, gym_a, owner_client):
    response = upload(owner_client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(gym_a):
        assert not MemberImport.objects.exists()


@pytest.mark.parametrize("role", [Role.TRAINER, Role.FRONT_DESK])
def test_trainers_and_the_front_desk_cannot_import(role, gym_a, make_user, web, owner_client):
    import_id, _done = start(owner_client, "Name,Email\nAnn Lee,ann@example.test\n", "preview")
    client = web(gym_a, make_user(gym_a, role))
    assert client.get("/dashboard/members/import/").status_code == 403
    assert upload(client, "Name,Email\nBo Li,bo@example.test\n").status_code == 403
    for suffix in ("", "progress/", "failed.csv"):
        assert client.get(f"/dashboard/members/import/{import_id}/{suffix}").status_code == 403
    assert (
        client.post(f"/dashboard/members/import/{import_id}/", {"action": "import"}).status_code
        == 403
    )
    assert b"/dashboard/members/import/" not in client.get("/dashboard/members/").content
    assert get_import(gym_a, import_id).status == ImportStatus.DRAFT


def test_a_large_file_runs_as_a_task_and_shows_its_progress(
    gym_a, owner_client, django_capture_on_commit_callbacks, monkeypatch
):
    # "Large" made small (and chunks of 10), so the test does not import 500 members.
    monkeypatch.setattr(importing, "BACKGROUND_ABOVE", 20)
    monkeypatch.setattr(services, "IMPORT_CHUNK", 10)
    rows = importing.BACKGROUND_ABOVE + 15
    content = "Name,Email\n" + "".join(f"Person {n},p{n}@example.test\n" for n in range(rows))
    response = upload(owner_client, content)
    page = owner_client.get(response["Location"])
    assert "imported in the background" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = owner_client.post(response["Location"], mapping_data(page))
    assert len(queued) == 1  # the task, queued after commit; nothing imported yet
    progress_page = owner_client.get(started["Location"]).content.decode()
    assert 'id="import-progress"' in progress_page and "members/import.js" in progress_page
    progress_url = response["Location"] + "progress/"
    before = owner_client.get(progress_url).json()
    assert before["status"] == "queued" and not before["finished"]
    assert (before["processed"], before["total"]) == (0, rows)

    queued[0]()  # the worker runs it (eagerly here), in gym A from the task's arguments
    after = owner_client.get(progress_url).json()
    assert after["finished"] and after["percent"] == 100
    assert (after["processed"], after["created"], after["failed"]) == (rows, rows, 0)
    with tenant_context(gym_a):
        assert Member.objects.count() == rows
    assert 'data-count="created"' in owner_client.get(started["Location"]).content.decode()


def test_the_task_sets_the_gym_from_its_arguments_and_resumes_a_stalled_run(
    gym_a, gym_b, owner_client, monkeypatch
):
    monkeypatch.setattr(services, "IMPORT_CHUNK", 10)
    content = "Name,Email\n" + "".join(f"P {n},p{n}@example.test\n" for n in range(25))
    import_id, _done = start(owner_client, content, action="preview")
    with tenant_context(gym_a):
        # A run that stopped after its first chunk (its worker died an hour ago): the
        # first 10 rows are in.
        for n in range(10):
            MemberFactory(first_name="P", last_name=str(n), email=f"p{n}@example.test")
        MemberImport.objects.filter(pk=import_id).update(
            status=ImportStatus.RUNNING,
            processed_rows=10,
            created_count=10,
            updated_at=timezone.now() - timedelta(hours=1),
        )
        assert services.member_imports_sweep() == 1  # queued again
    connection.set_schema_to_public()
    assert run_member_import.delay(import_id, gym_a.schema_name).get() == "done"
    assert run_member_import.delay(import_id, gym_a.schema_name).get() == "skipped"
    with tenant_context(gym_b):
        assert not Member.objects.exists()
    with tenant_context(gym_a):
        resumed = MemberImport.objects.get(pk=import_id)
        assert (resumed.processed_rows, resumed.created_count) == (25, 25)
        assert (resumed.skipped_count, resumed.failed_count) == (0, 0)  # no row done twice
        assert Member.objects.count() == 25


def test_an_import_cannot_start_without_a_name_and_a_key_column(gym_a, owner_client):
    response = upload(owner_client, "Name,Email\nAnn Lee,ann@example.test\n")
    page = owner_client.get(response["Location"])
    refused = owner_client.post(
        response["Location"], mapping_data(page, column_0="", column_1="phone")
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose the column with the members" in html and "email or the member number" in html
    with tenant_context(gym_a):
        assert MemberImport.objects.get().status == ImportStatus.DRAFT
        assert not Member.objects.exists()
