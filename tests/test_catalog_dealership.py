"""The default catalogue's rules (`tracker/catalog/dealership.py`) and the finance list they
were read from (`tracker/catalog/dealership.csv`, kept in the repository) hold the same items."""

import csv
from pathlib import Path

from tracker.catalog import dealership
from tracker.catalog.service import CATALOGS, PROVIDER_CODES


def _rows() -> list[dict]:
    with CATALOGS["dealership"].open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_finance_list_is_kept_beside_the_rules():
    assert CATALOGS["dealership"].parent == Path(dealership.__file__).parent
    assert len(_rows()) == 34


def test_every_item_of_the_finance_list_has_a_rule_of_its_kind_and_provider():
    listed = {
        f"{PROVIDER_CODES[r['provider_en']]}-{r['no']}": (r["kind"], r["provider_en"])
        for r in _rows()
    }
    ruled = {
        item["code"]: (item["kind"], dealership.DEPARTMENTS[item["code"].split("-")[0]][0])
        for item in dealership.ITEMS
    }
    assert len(dealership.ITEMS) == 34
    assert ruled == listed
