import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from corpus import CORPUS, SKIP_REASON


@pytest.fixture(scope="session")
def corpus_dir() -> pathlib.Path:
    """The shared OpenLineage corpus folder (``OL_OM_CORPUS`` overrides it); skips the test where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(SKIP_REASON)
    return CORPUS
