"""`manage.py bench_import --enterprises N`: time importing N enterprises from .xlsx.

Builds the workbook in memory, then times a dry run, the import, and the same file
imported again (every row unchanged); everything is rolled back afterwards, so it can
run beside real data.
"""

import json
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from imports.exports import resource_headers
from imports.services import import_workbook
from liaison import xlsx
from liaison.validators import credit_code_check_char


class _RollBack(Exception):
    pass


def enterprises_workbook(n: int) -> bytes:
    def code(i: int) -> str:
        first17 = f"91330411MB{i:07d}"
        return first17 + credit_code_check_char(first17)

    rows = (
        [code(i), f"基准测试企业{i:05d}有限公司", "纺织", "", f"工业园区{i}号", f"联系人{i}",
         f"139{i:08d}", ""]
        for i in range(1, n + 1)
    )  # fmt: skip
    book = xlsx.new_workbook()
    headers = resource_headers("enterprises")
    xlsx.add_table(book, sheet_name="enterprises", title=None,
                   columns=[(h, 12) for h in headers], rows=rows)  # fmt: skip
    return xlsx.workbook_bytes(book)


class Command(BaseCommand):
    help = "Time the import of N enterprises (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=10_000)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, enterprises, **options):
        as_json = options["json"]
        started = time.perf_counter()
        content = enterprises_workbook(enterprises)
        self._print("build workbook", enterprises, time.perf_counter() - started, as_json)
        try:
            with transaction.atomic():
                for case, dry_run in (("dry run", True), ("import", False), ("again", False)):
                    started = time.perf_counter()
                    report = import_workbook(
                        kind="enterprises",
                        name="bench.xlsx",
                        content=content,
                        actor=None,
                        dry_run=dry_run,
                    )
                    seconds = time.perf_counter() - started
                    assert report.ok, (report.file_error, report.errors[:3])
                    self._print(
                        f"{case} ({report.created} new, {report.skipped} unchanged)",
                        enterprises,
                        seconds,
                        as_json,
                    )
                raise _RollBack
        except _RollBack:
            pass

    def _print(self, case, n, seconds, as_json):
        if as_json:
            row = {"bench": "import", "case": case, "n": n, "ms": round(seconds * 1000)}
            self.stdout.write(json.dumps(row))
        else:
            self.stdout.write(f"{case:<40} {n:>7} rows  {seconds:7.2f} s")
