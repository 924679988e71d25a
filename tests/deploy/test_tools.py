"""`make test` installs the chart's tools, pinned, so the chart's tests run rather than skip."""

from __future__ import annotations

import re

from tests.harness.servers import ROOT


def test_the_test_dependencies_install_pinned_helm_kubeconform_and_schemas():
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    test_deps = bootstrap.split("\ntest_deps() {")[1].split("\n}")[0]
    install = bootstrap.split("\ninstall_helm_tools() {")[1].split("\n}")[0]
    requirements = (ROOT / "scripts" / "kubernetes-schemas-requirements.txt").read_text()

    assert "install_helm_tools" in test_deps
    assert re.search(r'^HELM_VERSION="v3\.\d+\.\d+"$', bootstrap, re.M)
    assert re.search(r'^KUBECONFORM_VERSION="v\d+\.\d+\.\d+"$', bootstrap, re.M)
    assert 'helm.sh/helm/v3/cmd/helm@$HELM_VERSION"' in install
    assert 'kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"' in install
    # Built with the Go found here, or with one pinned toolchain the Go proxy serves when
    # Debian's newest Go is older than the tools ask for; never "whatever is newest".
    assert install.count('GOTOOLCHAIN="$toolchain"') == 2
    assert re.search(r'^NEWER_GO_TOOLCHAIN="go\d+\.\d+\.\d+"$', bootstrap, re.M)
    go_for = bootstrap.split("\ngo_for() {")[1].split("\n}")[0]
    assert "toolchain=local" in go_for
    assert 'toolchain="$NEWER_GO_TOOLCHAIN"' in go_for
    assert re.search(r"^kubernetes-validate==\d+\.\d+\.\d+ \\$", requirements, re.M)
    assert re.search(r"--hash=sha256:[0-9a-f]{64}$", requirements, re.M)
    assert "--require-hashes" in bootstrap.split("\ninstall_kubernetes_schemas() {")[1]
