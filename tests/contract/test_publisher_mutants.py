"""Mutant publishers: the Publisher suite must fail when behaviour drifts.

Each mutant is the in-memory fake with one deliberate bug. The suite runs against it in
a pytester sandbox, and the tests pinning the broken behaviour must fail (the
differential test included, where the bug is visible to a consumer).
"""

import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

HEADER = """
import json
import pytest
from serpens.fakes import InMemoryPublisher
from serpens_contract import FakeRig, PublisherContract
"""

FOOTER = """
class TestMutant(PublisherContract):
    @pytest.fixture
    def open_publisher(self):
        return lambda namespace: FakeRig(Mutant(topics=()))
"""

GENUINE = """
class Mutant(InMemoryPublisher):
    pass
"""

MUTANTS = {
    "json_with_spaces": (
        """
class Mutant(InMemoryPublisher):
    async def publish(self, topic, payload, **options):
        if isinstance(payload, dict):
            payload = json.dumps(payload).encode()
        return await super().publish(topic, payload, **options)
""",
        ["test_a_mapping_payload_is_sent_as_compact_utf8_json", "test_differential_against_fake"],
    ),
    "reused_ids": (
        """
class Mutant(InMemoryPublisher):
    def __init__(self, **kwargs):
        super().__init__(id_factory=lambda: "42", **kwargs)
""",
        ["test_returned_ids_are_unique_and_are_the_delivered_ids"],
    ),
    "every_topic_exists": (
        """
class Mutant(InMemoryPublisher):
    def __init__(self, **kwargs):
        super().__init__()
""",
        ["test_a_missing_topic_is_not_found", "test_differential_against_fake"],
    ),
    "ordering_key_dropped": (
        """
class Mutant(InMemoryPublisher):
    async def publish(self, topic, payload, *, attributes=None, ordering_key=None):
        return await super().publish(topic, payload, attributes=attributes)
""",
        ["test_same_ordering_key_is_delivered_in_publish_order", "test_differential_against_fake"],
    ),
    "short_topic_names_completed": (
        """
class Mutant(InMemoryPublisher):
    async def publish(self, topic, payload, **options):
        if not topic.startswith("projects/"):
            raise LookupError("guessing the project")
        return await super().publish(topic, payload, **options)
""",
        ["test_a_malformed_topic_is_a_validation_error"],
    ),
    "codec_writes_true_as_title_case": (
        # the shared codec (serpens._rules.publisher), patched only while this mutant
        # publishes: fake and adapter share it, so no differential can see the bug
        """
import serpens._rules.publisher as rules

class Mutant(InMemoryPublisher):
    async def publish(self, topic, payload, **options):
        genuine = rules._attribute_value
        def python_spelling(key, value):
            return str(value) if isinstance(value, bool) else genuine(key, value)
        rules._attribute_value = python_spelling
        try:
            return await super().publish(topic, payload, **options)
        finally:
            rules._attribute_value = genuine
""",
        ["test_non_string_attributes_have_fixed_wire_spellings"],
    ),
    "attributes_stringified_blindly": (
        """
class Mutant(InMemoryPublisher):
    async def publish(self, topic, payload, *, attributes=None, ordering_key=None):
        attributes = {str(k): str(v) for k, v in (attributes or {}).items()} or None
        return await super().publish(
            topic, payload, attributes=attributes, ordering_key=ordering_key
        )
""",
        # The differential test may or may not draw a non-string attribute in its budget, so
        # only the deterministic case is required to catch this one.
        ["test_invalid_messages_are_validation_errors"],
    ),
}


@pytest.fixture(name="failures", scope="module")
def _failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Run the suite once against every mutant (one pytest process); failed tests per mutant."""
    root = tmp_path_factory.mktemp("publisher-mutants")
    (root / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name, (code, _) in {**MUTANTS, "genuine": (GENUINE, [])}.items():
        (root / f"test_{name}.py").write_text(HEADER + code + FOOTER)
    report = root / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}"],
        cwd=root,
        env={**os.environ, "SERPENS_CONTRACT_PROFILE": "ci", "SERPENS_CONTRACT_SHRINK": "0"},
        capture_output=True,
        check=False,
        timeout=300,
    )
    failures: dict[str, set[str]] = {name: set() for name in [*MUTANTS, "genuine"]}
    cases = ET.parse(report).getroot().iter("testcase")
    for case in cases:
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").split(".")[0].removeprefix("test_")
            failures[module].add(case.get("name", "").split("[")[0])
    return failures


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_suite_catches_the_mutant(failures: dict[str, set[str]], mutant: str) -> None:
    _, must_fail = MUTANTS[mutant]
    assert set(must_fail) <= failures[mutant], (
        f"{mutant} slipped through; failed only {sorted(failures[mutant])}"
    )


def test_the_genuine_fake_passes_the_same_run(failures: dict[str, set[str]]) -> None:
    assert failures["genuine"] == set()
