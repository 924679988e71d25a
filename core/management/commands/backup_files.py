"""Copy every stored file into a backup folder: `manage.py backup_files DEST` (scripts/backup.sh).

The private files, public media and audit checkpoints, from wherever they live (the local disk
or the S3-compatible store, core/storage.py), into DEST/<store>/<name>. A file already copied
with the same size is skipped, and nothing is ever removed from DEST: a file deleted since (or
a checkpoint set aside by a restore) stays in the backup. `--restore` copies the other way,
adding the files the store lacks and never replacing one it has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.management.base import BaseCommand, CommandParser

STORES = ("private", "default", "audit")


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}{name}"
    for sub in folders:
        yield from walk(storage, f"{folder}{sub}/")


class Command(BaseCommand):
    help = "Copy the stored files (private, media, audit checkpoints) into a backup folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path)
        parser.add_argument(
            "--restore",
            action="store_true",
            help="copy from the backup folder into the stores, adding only what they lack",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["destination"].resolve()
        for alias in STORES:
            storage = storages[alias]
            folder = root / alias
            copied = skipped = 0
            if options["restore"]:
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    name = path.relative_to(folder).as_posix()
                    if name == "signing.key" or storage.exists(name):
                        skipped += 1
                        continue
                    with path.open("rb") as source:
                        storage.save(name, File(source, name=name))
                    copied += 1
            else:
                for name in walk(storage):
                    if name == "signing.key":  # the development key stays where it is
                        continue
                    target = folder / name
                    if target.exists() and target.stat().st_size == storage.size(name):
                        skipped += 1
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_name(target.name + ".partial")
                    with storage.open(name, "rb") as source, partial.open("wb") as out:
                        for chunk in iter(lambda: source.read(1 << 20), b""):
                            out.write(chunk)
                    partial.replace(target)
                    copied += 1
            self.stdout.write(f"{alias}: {copied} copied, {skipped} already there")
