"""Group labels of history stores written before labels were kept whole (trtinspect before commit 0fd9fdd), read
so that trends continue across the change.

align names a fusion group by its layers' names, each cut to 60 characters (57 + ``...``); those versions stored
that label (``resnet50/conv5_block2_3_conv/Conv2D + resnet50/conv5_bloc...``), later ones store it with every cut
name written whole (:func:`trtinspect.inspector.check_inputs.whole_label`). A stored cut label is read whole with
the layer names its own check recorded (``layer_measurements``, never cut): each cut name stands for the recorded
names that cut to it. Nothing is written: the store keeps what it holds (a reader never changes a store).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trtinspect.inspector.check_inputs import CUT_AT, CUT_KEEP, whole_label

CUT_MARK = "..."


def may_be_cut(label: str) -> bool:
    """The label may hold a name cut by an older trtinspect (it holds ``...``)."""
    return CUT_MARK in label


def could_be_cut_form_of(cut: str, whole: str) -> bool:
    """Cheap filter: ``cut`` may be ``whole`` with names cut (every cut name ends in ``...``, so the text before
    ``cut``'s first ``...`` is ``whole``'s own beginning)."""
    return cut != whole and whole.startswith(cut.split(CUT_MARK, 1)[0])


class CutNames:
    """The layer names one check recorded, by the cut form an older align gave them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_cut: dict[str, list[str]] = {}
        for name in dict.fromkeys(names):
            if len(name) > CUT_AT:
                self.by_cut.setdefault(name[:CUT_KEEP] + CUT_MARK, []).append(name)
        alternation = "|".join(re.escape(c) for c in sorted(self.by_cut, key=len, reverse=True))
        self.token = re.compile(alternation) if alternation else None

    def pattern(self, label: str) -> re.Pattern[str] | None:
        """What ``label`` reads as whole: a pattern each whole label of the same group matches in full (a cut name
        stands for one or more recorded names it cuts to, ``a + b`` when several); None when it holds no cut
        name of this check."""
        if self.token is None:
            return None
        parts, pos = [], 0
        for m in self.token.finditer(label):
            alt = "|".join(re.escape(n) for n in sorted(self.by_cut[m.group()], key=len, reverse=True))
            parts += [re.escape(label[pos:m.start()]), f"(?:{alt})(?: \\+ (?:{alt}))*"]
            pos = m.end()
        if not parts:
            return None
        return re.compile("".join([*parts, re.escape(label[pos:])]))

    def whole(self, label: str, known: Iterable[str] = ()) -> str:
        """``label`` written whole: the one label in ``known`` (whole labels of later checks) it reads as, else
        with each cut name written whole when it cuts exactly one recorded name (as check writes it), else as
        stored (ambiguous: several recorded names cut alike)."""
        pattern = self.pattern(label)
        if pattern is None:
            return label
        matches = [w for w in dict.fromkeys(known) if w != label and pattern.fullmatch(w)]
        if len(matches) == 1:
            return matches[0]
        assert self.token is not None
        if all(len(self.by_cut[m.group()]) == 1 for m in self.token.finditer(label)):
            return whole_label(label, [n for names in self.by_cut.values() for n in names])
        return label
