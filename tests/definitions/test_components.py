"""Components projects: the defs folder, @definitions in it, and defs.yaml components."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from headwater import AssetKey, ComponentTree, load_defs, load_from_defs_folder
from headwater.definitions.components.declaration import ComponentDeclarationError

COMPONENT = textwrap.dedent(
    """
    from dataclasses import dataclass

    from headwater import Component, Definitions, Model, Resolvable, asset


    @dataclass
    class Constants(Component, Resolvable):
        names: list[str]
        value: int = 1

        def build_defs(self, context):
            def make(name):
                @asset(name=name, group_name=context.relative_path.name)
                def _constant():
                    return self.value
                return _constant
            return Definitions(assets=[make(n) for n in self.names])


    class Single(Component, Model):
        name: str

        def build_defs(self, context):
            @asset(name=self.name)
            def _single():
                return 0
            return Definitions(assets=[_single])
    """
)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A components project whose package name is unique to the test (imports are cached)."""
    name = f"proj_{tmp_path.name.replace('-', '_').lower()}"
    _write(tmp_path, {
        "pyproject.toml": f'[project]\nname = "{name}"\n[tool.dg.project]\nroot_module = "{name}"\n',
        f"src/{name}/__init__.py": "",
        f"src/{name}/components.py": COMPONENT,
        f"src/{name}/defs/__init__.py": "",
        f"src/{name}/defs/raw.py": """
            from headwater import asset

            @asset
            def raw():
                return 1
        """,
        f"src/{name}/defs/clean/model.py": f"""
            from headwater import Definitions, ResourceParam, asset, definitions
            from {name}.defs.raw import raw  # imported, not defined again

            @asset
            def clean(raw, factor: ResourceParam[int]):
                return raw * factor

            @definitions
            def resources():
                return Definitions(resources={{"factor": 3}})
        """,
        f"src/{name}/defs/constants/defs.yaml": f"""
            type: {name}.components.Constants
            attributes:
              names: [one, two]
              value: 5
            ---
            type: {name}.components.Single
            attributes:
              name: single
        """,
    })
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path, name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_defs_folder_merges_modules_definitions_functions_and_yaml_components(project):
    root, _ = project
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.all_keys} == {"raw", "clean", "one", "two", "single"}
    assert defs.resources == {"factor": 3}
    assert graph.group_name(AssetKey("one")) == "constants"
    result = defs.get_implicit_global_asset_job_def().execute_in_process()
    assert result.output_for_node("clean") == 3
    assert result.output_for_node("one") == 5


def test_load_defs_takes_the_defs_package(project):
    root, name = project
    sys.path.insert(0, str(root / "src"))
    import importlib

    defs = load_defs(importlib.import_module(f"{name}.defs"))
    assert AssetKey("clean") in defs.resolve_asset_graph().all_keys


def test_defs_module_from_pyproject(project):
    root, name = project
    (root / f"src/{name}/defs").rename(root / f"src/{name}/my_defs")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\n[tool.dg.project]\nroot_module = "{name}"\n'
        f'defs_module = "{name}.my_defs"\n')
    text = (root / f"src/{name}/my_defs/clean/model.py").read_text()
    (root / f"src/{name}/my_defs/clean/model.py").write_text(text.replace(".defs.", ".my_defs."))
    (root / f"src/{name}/my_defs/constants/defs.yaml").unlink()
    defs = load_from_defs_folder(project_root=root)
    assert {k.to_user_string() for k in defs.resolve_asset_graph().all_keys} == {"raw", "clean"}


@pytest.mark.parametrize("attributes, line, key, words", [
    ("  names: [a]\n  value: lots\n", 4, "attributes.value", "integer"),
    ("  names: [a]\n  valeu: 2\n", 4, "attributes.valeu", "no attribute 'valeu'"),
    ("  value: 2\n", 2, "attributes.names", "required"),
    ("  names: [a, {x: 1}]\n", 3, "attributes.names.1", "string"),
])
def test_yaml_errors_name_file_line_and_key(project, attributes, line, key, words):
    root, name = project
    path = root / f"src/{name}/defs/constants/defs.yaml"
    path.write_text(f"type: {name}.components.Constants\nattributes:\n{attributes}")
    with pytest.raises(ComponentDeclarationError) as info:
        load_from_defs_folder(project_root=root)
    assert (info.value.file, info.value.line, info.value.key) == (path, line, key)
    assert str(info.value).startswith(f"{path}:{line}: {key}: ")
    assert words in str(info.value)


@pytest.mark.parametrize("text, line, key, words", [
    ("type: {name}.components.Nope\n", 1, "type", "not a Component subclass"),
    ("type: no_such_module_xyz.Thing\n", 1, "type", "cannot import"),
    ("attributes: {{}}\n", 1, "type", "missing"),
    ("type: {name}.components.Single\nattribute: {{}}\n", 2, "attribute", "unknown key"),
    ("type: [unclosed\n", 2, None, "invalid YAML"),
    ("type: {name}.components.Single\nattributes:\n  name: \"{{{{ nope }}}}\"\n", 3,
     "attributes.name", "'nope' is undefined"),
    ("type: {name}.components.Single\nattributes:\n  name: \"{{{{ env.HW_UNSET_XYZ }}}}\"\n",
     3, "attributes.name", "HW_UNSET_XYZ is not set"),
    ("type: {name}.components.Single\ntemplate_vars_module: .missing_vars\n", 2,
     "template_vars_module", "cannot import"),
])
def test_yaml_declaration_errors(project, text, line, key, words):
    root, name = project
    path = root / f"src/{name}/defs/constants/defs.yaml"
    path.write_text(text.format(name=name))
    with pytest.raises(ComponentDeclarationError) as info:
        load_from_defs_folder(project_root=root)
    assert (info.value.line, info.value.key) == (line, key)
    assert words in str(info.value)


def test_a_component_without_resolvable_refuses_attributes(project):
    root, name = project
    (root / f"src/{name}/components.py").write_text(textwrap.dedent("""
        from headwater import Component, Definitions

        class Plain(Component):
            def build_defs(self, context):
                return Definitions()
    """))
    path = root / f"src/{name}/defs/constants/defs.yaml"
    path.write_text(f"type: {name}.components.Plain\nattributes:\n  x: 1\n")
    with pytest.raises(ComponentDeclarationError, match="Plain takes no attributes"):
        load_from_defs_folder(project_root=root)


def test_load_from_defs_folder_needs_a_project(tmp_path):
    with pytest.raises(Exception, match="No pyproject.toml"):
        load_from_defs_folder(project_root=tmp_path)


def test_a_defs_yaml_may_declare_the_folder_itself(project):
    """`type: headwater.DefsFolderComponent` loads the folder's modules as if it had no
    defs.yaml; attributes are refused."""
    root, name = project
    folder = root / f"src/{name}/defs/constants"
    (folder / "defs.yaml").write_text("type: headwater.DefsFolderComponent\nattributes: {}\n")
    (folder / "inner.py").write_text("from headwater import asset\n\n@asset\ndef inner():\n"
                                     "    return 2\n")
    defs = load_from_defs_folder(project_root=root)
    assert {k.to_user_string() for k in defs.resolve_asset_graph().all_keys} == {
        "raw", "clean", "inner"}
    (folder / "defs.yaml").write_text("type: headwater.DefsFolderComponent\nattributes:\n"
                                      "  path: x\n")
    with pytest.raises(ComponentDeclarationError, match="DefsFolderComponent takes no attributes"):
        load_from_defs_folder(project_root=root)


def test_post_processing_updates_asset_attributes_by_selection(project):
    root, name = project
    (root / f"src/{name}/defs/constants/defs.yaml").write_text(textwrap.dedent(f"""
        type: {name}.components.Constants
        attributes:
          names: [one, two]
        post_processing:
          assets:
            - target: "*"
              attributes:
                tags: {{team: data}}
                metadata: {{source: yaml}}
            - target: one
              attributes:
                group_name: special
            - target: two
              operation: replace
              attributes:
                tags: {{only: this}}
    """))
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    one, two = graph.spec_by_key[AssetKey("one")], graph.spec_by_key[AssetKey("two")]
    assert (one.group_name, two.group_name) == ("special", "constants")
    assert one.tags == {"team": "data"} and one.metadata == {"source": "yaml"}
    assert two.tags == {"only": "this"} and two.metadata == {"source": "yaml"}
    assert graph.spec_by_key[AssetKey("raw")].tags == {}  # other folders untouched


def test_post_processing_errors_name_line_and_key(project):
    root, name = project
    path = root / f"src/{name}/defs/constants/defs.yaml"
    path.write_text(f"type: {name}.components.Constants\nattributes:\n  names: [a]\n"
                    "post_processing:\n  assets:\n    - target: a\n      attributes:\n"
                    "        colour: red\n")
    with pytest.raises(ComponentDeclarationError) as info:
        load_from_defs_folder(project_root=root)
    assert (info.value.line, info.value.key) == (8, "post_processing.assets.0.attributes.colour")
    assert "unknown key" in str(info.value)


def test_templates_render_env_context_and_template_vars(project, monkeypatch):
    """{{ }} values are rendered: env, context, a template_vars_module (relative, with and
    without the context) and a @template_var static method; a whole expression keeps its
    type."""
    root, name = project
    monkeypatch.setenv("HW_TABLE_PREFIX", "stg")
    folder = root / f"src/{name}/defs/constants"
    (folder / "vars.py").write_text(textwrap.dedent("""
        from headwater import template_var

        @template_var
        def names():
            return ["alpha", "beta"]

        @template_var
        def folder(context):
            return context.relative_path.name

        def not_marked():
            return "hidden"
    """))
    (folder / "defs.yaml").write_text(textwrap.dedent(f"""
        type: {name}.components.Constants
        template_vars_module: .vars
        attributes:
          names: "{{{{ names + [env.HW_TABLE_PREFIX ~ '_' ~ folder] }}}}"
          value: "{{{{ 2 * 3 }}}}"
        post_processing:
          assets:
            - attributes:
                tags: {{root: "{{{{ context.project_root.name }}}}"}}
    """))
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    assert {"alpha", "beta", "stg_constants"} <= {k.to_user_string() for k in graph.all_keys}
    assert graph.spec_by_key[AssetKey("alpha")].tags == {"root": root.name}
    result = defs.get_implicit_global_asset_job_def().execute_in_process()
    assert result.output_for_node("alpha") == 6
    (folder / "defs.yaml").write_text(
        f"type: {name}.components.Constants\ntemplate_vars_module: .vars\nattributes:\n"
        "  names: [\"{{ not_marked() }}\"]\n")
    with pytest.raises(ComponentDeclarationError, match="'not_marked' is undefined"):
        load_from_defs_folder(project_root=root)


def test_component_tree_loads_and_builds_one_path(project):
    root, name = project
    (root / f"src/{name}/defs/constants/defs.yaml").write_text(
        f"type: {name}.components.Constants\nattributes:\n  names: [one]\n  value: 4\n")
    tree = ComponentTree.for_project(root)
    component = tree.load_component_at_path("constants")
    assert type(component).__name__ == "Constants" and component.value == 4
    defs = tree.build_defs_at_path("constants")
    assert {k.to_user_string() for k in defs.resolve_asset_graph().all_keys} == {"one"}
    assert defs.resolve_asset_graph().group_name(AssetKey("one")) == "constants"
    module_defs = tree.build_defs_at_path("raw.py")
    assert [a.key.to_user_string() for a in module_defs.assets] == ["raw"]
    assert type(tree.load_component_at_path("clean")).__name__ == "DefsFolderComponent"
    assert [a.key.to_user_string() for a in tree.build_defs().assets] == ["raw", "clean", "one"]
    with pytest.raises(Exception, match="nothing at 'nope'"):
        tree.load_component_at_path("nope")


def test_a_component_renders_its_deferred_templates_per_item(project, monkeypatch):
    """Templates naming one of the class's `deferred_template_vars` are kept as written and
    rendered by the component, per item, with `render_deferred`; the rest render at load."""
    root, name = project
    monkeypatch.setenv("HW_GROUP", "marts")
    (root / f"src/{name}/peritem.py").write_text(textwrap.dedent("""
        from dataclasses import dataclass

        from headwater import Component, Definitions, Resolvable, asset
        from headwater.definitions.components.templates import render_deferred


        @dataclass
        class PerItem(Component, Resolvable):
            items: list[str]
            key: str
            group: str
            deferred_template_vars = frozenset({"node"})

            def build_defs(self, context):
                def make(item):
                    key = render_deferred(self.key, context, node={"name": item})
                    @asset(name=key, group_name=self.group)
                    def _a():
                        return 1
                    return _a
                return Definitions(assets=[make(i) for i in self.items])
    """))
    folder = root / f"src/{name}/defs/constants"
    (folder / "defs.yaml").write_text(
        f"type: {name}.peritem.PerItem\nattributes:\n  items: [a, b]\n"
        "  key: \"stg_{{ node.name }}\"\n  group: \"{{ env.HW_GROUP }}\"\n")
    graph = load_from_defs_folder(project_root=root).resolve_asset_graph()
    assert graph.spec_by_key[AssetKey("stg_a")].group_name == "marts"
    assert AssetKey("stg_b") in graph.all_keys
