"""Label the bibliography by author and year, as the text cites.

The chapters cite with ``{cite:t}`` and ``{cite:p}``, which sphinxcontrib-bibtex's
``author_year`` reference style renders as "Bengio et al. (1994)". Pybtex's ``plain``
style would label the entries of the bibliography [1], [2], ...; a reader looking for
"Bengio et al., 1994" then has to scan for it. This extension registers the pybtex
style ``plain_author_year``: the ``plain`` formatting and sorting (by author, year, title)
with labels such as "Bengio et al., 1994", "Hochreiter and Schmidhuber, 1997"; two
entries that would share a label get "1997a", "1997b".
"""
from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    parts = [Text.from_latex(part).render_as("text") for part in person.prelast_names + person.last_names]
    return " ".join(parts)


def author_year(entry) -> str:
    """"Bengio et al., 1994" for an entry with three or more authors (two are both named)."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in persons]
    if not names:
        who = entry.fields.get("key", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year(entry) for entry in entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class PlainAuthorYearStyle(PlainStyle):
    default_label_style = "author_year"


def setup(app):
    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "plain_author_year", PlainAuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
