"""The control plane's tools module (``scripts.generators.kubernetes_tools``): the replace list is
read from the release's own go.mod, each staging module replaced by its published version, and
the committed go.mod is what the generator makes of the pinned release."""

from __future__ import annotations

import re

import pytest

from scripts.generators import kubernetes_tools as generator
from tests.support.paths import ROOT

RELEASE_GO_MOD = """module k8s.io/kubernetes

go 1.24.0

require (
\tk8s.io/api v0.0.0
\tk8s.io/apimachinery v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
\tk8s.io/component-base => ./staging/src/k8s.io/component-base
\tgithub.com/example/fork => github.com/example/fork v1.2.3
)
"""


def test_the_staging_modules_are_read_from_the_release_go_mod() -> None:
    assert generator.staging_modules(RELEASE_GO_MOD) == [
        "k8s.io/api", "k8s.io/apimachinery", "k8s.io/component-base",
    ]


def test_a_go_mod_without_staging_replaces_is_refused() -> None:
    with pytest.raises(ValueError, match="replaces no staging module"):
        generator.staging_modules("module example.com/x\n\ngo 1.24\n")


@pytest.mark.parametrize(("release", "published"), [("v1.34.4", "v0.34.4"), ("v1.9.10", "v0.9.10")])
def test_staging_modules_take_the_release_s_published_tag(release: str, published: str) -> None:
    assert generator.published_version(release) == published


@pytest.mark.parametrize("release", ["1.34.4", "v1.34", "v1.34.4-rc.1", "v2.0.0"])
def test_a_release_that_is_not_a_kubernetes_tag_is_refused(release: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes release tag"):
        generator.published_version(release)


def test_the_head_requires_the_release_and_replaces_each_staging_module() -> None:
    head = generator.render("v1.34.4", ["k8s.io/api", "k8s.io/apimachinery"])
    assert "require k8s.io/kubernetes v1.34.4\n" in head
    assert "\tk8s.io/api => k8s.io/api v0.34.4\n" in head
    assert "\tk8s.io/apimachinery => k8s.io/apimachinery v0.34.4\n" in head
    assert [f"tool {tool}" for tool in generator.TOOLS] == re.findall(r"^tool .*$", head, flags=re.M)


def test_the_committed_go_mod_is_of_the_pinned_release() -> None:
    committed = (ROOT / generator.TARGET).read_text()
    assert re.search(rf"^\tk8s\.io/kubernetes {re.escape(generator.KUBERNETES_VERSION)}\b", committed, re.M)
    published = generator.published_version(generator.KUBERNETES_VERSION)
    replaced = re.findall(r"^\t(k8s\.io/\S+) => \1 (\S+)$", committed, flags=re.M)
    assert len(replaced) >= 25 and {version for _, version in replaced} == {published}
    assert [f"tool {tool}" for tool in generator.TOOLS] == re.findall(r"^tool .*$", committed, flags=re.M)
    assert (ROOT / "tools/kubernetes/go.sum").is_file()
