"""`manage.py backup_files`: the stored files copied beside the database's backup, and back.

(The copy from the S3-compatible store is in tests/core/test_object_storage.py.)
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.management import call_command

from core import audit_chain
from core.storage import audit_storage, private_storage


def test_files_and_checkpoints_are_copied_kept_after_deletion_and_restored(settings, tmp_path, db):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    backup = tmp_path / "backup"
    private = private_storage()
    name = private.save("identity/2026/12/id.png", ContentFile(b"\x89PNG one"))
    audit_storage().save("platform/20261206T140300-000000000001.json", ContentFile(b"{}"))
    audit_chain.signing_key()  # the development key beside the checkpoints

    call_command("backup_files", str(backup))

    assert (backup / "private" / name).read_bytes() == b"\x89PNG one"
    assert (backup / "audit" / "platform" / "20261206T140300-000000000001.json").exists()
    assert not (backup / "audit" / "signing.key").exists(), "the key is not copied"

    private.delete(name)
    call_command("backup_files", str(backup))
    assert (backup / "private" / name).exists(), "a file deleted since stays in the backup"

    call_command("backup_files", str(backup), "--restore")
    assert private.open(name).read() == b"\x89PNG one"
