"""A mock interview as a record: what was asked, what was typed, what it covered, the grades.

The JSON shape (``trainer interview --last --json``)::

    {"started", "finished", "questions": [{"note", "question", "seconds", "overtime", "answer",
      "key_points": [{"text", "covered", "matched": [...]}], "suggested_grade", "grade"}]}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class PointRecord:
    text: str
    covered: bool
    matched: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"text": self.text, "covered": self.covered, "matched": list(self.matched)}

    @classmethod
    def from_json(cls, d: dict) -> "PointRecord":
        return cls(str(d.get("text", "")), bool(d.get("covered")), [str(w) for w in d.get("matched") or []])


@dataclass(slots=True)
class QuestionRecord:
    note: str
    """Deck-relative path of the note."""
    question: str
    seconds: float
    overtime: bool
    answer: str
    key_points: list[PointRecord]
    suggested_grade: int | None
    grade: int | None = None
    """The grade given (``None``: not graded, or the grade was undone)."""

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.key_points)

    @property
    def coverage(self) -> float | None:
        """Share of key points covered (``None`` for a note without key points)."""
        return self.covered / len(self.key_points) if self.key_points else None

    def to_json(self) -> dict:
        return {
            "note": self.note,
            "question": self.question,
            "seconds": round(self.seconds, 1),
            "overtime": self.overtime,
            "answer": self.answer,
            "key_points": [p.to_json() for p in self.key_points],
            "suggested_grade": self.suggested_grade,
            "grade": self.grade,
        }

    @classmethod
    def from_json(cls, d: dict) -> "QuestionRecord":
        return cls(
            note=str(d.get("note", "")),
            question=str(d.get("question", "")),
            seconds=float(d.get("seconds") or 0.0),
            overtime=bool(d.get("overtime")),
            answer=str(d.get("answer", "")),
            key_points=[PointRecord.from_json(p) for p in d.get("key_points") or []],
            suggested_grade=d.get("suggested_grade"),
            grade=d.get("grade"),
        )


@dataclass(slots=True)
class Transcript:
    started: str
    """ISO timestamp (UTC) of the first question."""
    finished: str | None = None
    """ISO timestamp when the report was shown (``None``: the interview was left early)."""
    questions: list[QuestionRecord] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        """Key points covered over all questions with key points (``None`` if there were none)."""
        total = sum(len(q.key_points) for q in self.questions)
        return sum(q.covered for q in self.questions) / total if total else None

    def missed_points(self) -> list[tuple[str, str]]:
        """(question, point) for every key point missed."""
        return [(q.question, p.text) for q in self.questions for p in q.key_points if not p.covered]

    def to_json(self) -> dict:
        return {"started": self.started, "finished": self.finished, "questions": [q.to_json() for q in self.questions]}

    @classmethod
    def from_json(cls, d: dict) -> "Transcript":
        return cls(str(d.get("started", "")), d.get("finished"), [QuestionRecord.from_json(q) for q in d.get("questions") or []])


def missed_most(transcripts: list[Transcript], limit: int = 5) -> list[tuple[str, int]]:
    """The key points missed most often over these interviews, with how many times."""
    counts = Counter(point for t in transcripts for _, point in t.missed_points())
    return counts.most_common(limit)


def _percent(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _minsec(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def to_markdown(t: Transcript) -> str:
    """The transcript for review: each question, the answer as typed, the points covered and missed."""
    out = [f"# Mock interview {t.started}", ""]
    out.append(f"- Finished: {t.finished or 'left before the end'}")
    out.append(f"- Questions: {len(t.questions)}; key points covered: {_percent(t.coverage)}")
    out.append("")
    for i, q in enumerate(t.questions, 1):
        out.append(f"## {i}. {q.question}")
        out.append("")
        late = " (overtime)" if q.overtime else ""
        grade = "not graded" if q.grade is None else str(q.grade)
        sugg = "–" if q.suggested_grade is None else str(q.suggested_grade)
        out.append(f"`{q.note}` · time {_minsec(q.seconds)}{late} · coverage {_percent(q.coverage)}"
                   f" · suggested {sugg} · grade {grade}")
        out.append("")
        out.append("### Answer")
        out.append("")
        out.extend(f"> {line}" if line else ">" for line in (q.answer or "(no answer)").splitlines())
        out.append("")
        if q.key_points:
            out.append("### Key points")
            out.append("")
            for p in q.key_points:
                words = f" — matched: {', '.join(p.matched)}" if p.matched else ""
                out.append(f"- [{'x' if p.covered else ' '}] {p.text}{words}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
