"""Run config of a job: validation, defaults, mappings, RunConfig, loaders."""

import pytest

import headwater as hw


@hw.op(config_schema={"limit": int, "mode": hw.Field(str, default_value="fast")})
def load(context):
    return context.op_config["limit"]


@hw.op
def plain():
    return 1


@hw.resource(config_schema={"url": str})
def warehouse(init_context):
    return init_context.resource_config["url"]


@hw.op(required_resource_keys={"warehouse"})
def publish(context):
    return context.resources.warehouse


@hw.job(resource_defs={"warehouse": warehouse})
def etl():
    load()
    plain()
    publish()


def _errors(job, run_config):
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        hw.validate_run_config(job, run_config)
    return info.value.errors


def test_validate_run_config_returns_config_with_defaults():
    """A valid config comes back with nested defaults filled in."""
    result = hw.validate_run_config(etl, {"ops": {"load": {"config": {"limit": 3}}},
                                          "resources": {"warehouse": {"config": {"url": "u"}}}})
    assert result["ops"]["load"]["config"] == {"limit": 3, "mode": "fast"}
    assert result["resources"]["warehouse"]["config"] == {"url": "u"}


def test_missing_required_op_and_resource_config_is_reported_at_the_top():
    """With no config at all, one error per missing top-level entry, with an example."""
    (error,) = _errors(etl, {})
    assert error.startswith('Missing required config entries [\'ops\', \'resources\'] at the root.')
    assert "{'ops': {'load': {'config': {'limit': 0}}}" in error
    assert "'resources': {'warehouse': {'config': {'url': '...'}}}" in error


def test_every_problem_has_a_path_and_unknown_names_get_a_suggestion():
    """Unknown op, unknown top-level key, bad value and unknown resource, all in one error."""
    errors = _errors(etl, {"ops": {"load": {"config": {"limit": "ten"}}, "lod": {}},
                           "resources": {"warehouse": {"config": {"url": "u"}}, "db": {}},
                           "op": {}})
    by_path = {e.dotted_path: e for e in errors}
    assert set(by_path) == {"op", "ops.lod", "ops.load.config.limit", "resources.db"}
    assert 'Did you mean "ops"?' in by_path["op"]
    assert 'Did you mean "load"?' in by_path["ops.lod"]
    assert "Invalid scalar at path root:ops:load:config:limit" in by_path["ops.load.config.limit"]


def test_execute_in_process_validates_before_running():
    """A run with bad config raises HeadwaterInvalidConfigError with .errors and runs nothing."""
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        etl.execute_in_process({"ops": {"load": {"config": {"limit": "x"}}},
                                "resources": {"warehouse": {"config": {"url": "u"}}}})
    assert len(info.value.errors) == 1
    assert "Error in config for job etl" in str(info.value)


def test_nested_graph_config_path():
    """Ops inside graphs are configured under ops.<graph>.ops.<op>."""

    @hw.graph
    def inner():
        return load()

    @hw.job
    def outer():
        inner()

    result = outer.execute_in_process({"ops": {"inner": {"ops": {"load": {"config": {"limit": 4}}}}}})
    assert result.output_for_node("inner.load") == 4
    errors = _errors(outer, {"ops": {"inner": {"ops": {"load": {"config": {}}}}}})
    assert errors[0].startswith('Missing required config entry "limit" at path '
                                "root:ops:inner:ops:load:config.")


def test_graph_config_mapping_and_config_mapping_decorator():
    """A graph's ConfigMapping turns its simple config into its ops' config."""

    @hw.config_mapping(config_schema={"n": int})
    def simplified(outer):
        return {"load": {"config": {"limit": outer["n"] * 10}}}

    @hw.graph(config=simplified)
    def wrapped():
        return load()

    @hw.job
    def mapped_job():
        wrapped()

    result = mapped_job.execute_in_process({"ops": {"wrapped": {"config": {"n": 2}}}})
    assert result.output_for_node("wrapped.load") == 20
    assert 'Missing required config entry "n"' in _errors(
        mapped_job, {"ops": {"wrapped": {"config": {}}}})[0]


def test_graph_config_mapping_errors_name_the_graph():
    """Config produced by a mapping that does not fit names the graph; a raising fn is wrapped."""

    @hw.graph(config=hw.ConfigMapping(lambda _c: {"load": {"config": {"limit": "x"}}}))
    def bad():
        return load()

    @hw.job
    def bad_job():
        bad()

    (error,) = _errors(bad_job, {"ops": {"bad": {"config": {}}}})
    assert 'Op "bad" with definition "bad" has a configuration error' in error

    def boom(_c):
        raise ValueError("nope")

    @hw.graph(config=hw.ConfigMapping(boom))
    def raising():
        return load()

    @hw.job
    def raising_job():
        raising()

    with pytest.raises(hw.HeadwaterConfigMappingFunctionError, match="graph 'raising'"):
        raising_job.execute_in_process({"ops": {"raising": {"config": {}}}})


def test_job_config_mapping_and_job_config_defaults():
    """job config= as a ConfigMapping maps the whole run config; as a dict it gives defaults."""

    @hw.job(config=hw.ConfigMapping(lambda c: {"ops": {"load": {"config": {"limit": c["n"]}}}},
                                    config_schema={"n": int}))
    def job_mapped():
        load()

    assert job_mapped.execute_in_process({"n": 5}).output_for_node("load") == 5

    @hw.job(config={"ops": {"load": {"config": {"limit": 1}}}})
    def job_defaults():
        load()
        plain()

    assert job_defaults.execute_in_process().output_for_node("load") == 1
    overridden = job_defaults.execute_in_process({"ops": {"load": {"config": {"limit": 9}}}})
    assert overridden.output_for_node("load") == 9


def test_configured_op_maps_a_new_schema_onto_the_old():
    """configured(op, schema)(fn) makes a new op whose config is mapped onto the original."""
    load_x10 = hw.configured(load, {"n": int}, name="load_x10")(
        lambda c: {"limit": c["n"] * 10})

    @hw.job
    def configured_job():
        load_x10()

    result = configured_job.execute_in_process({"ops": {"load_x10": {"config": {"n": 3}}}})
    assert result.output_for_node("load_x10") == 30


def test_run_config_object_and_loaders(tmp_path):
    """RunConfig converts to the dict form; YAML strings and files deep-merge in order."""
    rc = hw.RunConfig(ops={"load": {"config": {"limit": 2}}},
                      resources={"warehouse": {"config": {"url": "u"}}})
    assert rc.to_config_dict() == {"ops": {"load": {"config": {"limit": 2}}},
                                   "resources": {"warehouse": {"config": {"url": "u"}}}}
    assert etl.execute_in_process(rc).output_for_node("load") == 2
    merged = hw.config_from_yaml_strings(["ops: {load: {config: {limit: 1}}}",
                                          "ops: {load: {config: {mode: slow}}}"])
    assert merged == {"ops": {"load": {"config": {"limit": 1, "mode": "slow"}}}}
    (tmp_path / "a.yaml").write_text("resources: {warehouse: {config: {url: x}}}\n")
    assert hw.config_from_files([str(tmp_path / "*.yaml")]) == {
        "resources": {"warehouse": {"config": {"url": "x"}}}}
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="matches no file"):
        hw.config_from_files([str(tmp_path / "missing.yaml")])


def test_env_source_is_resolved_at_launch_but_not_stored(monkeypatch):
    """{"env": VAR} reaches the resource resolved; validate_run_config keeps it as written."""
    seen = {}

    @hw.resource(config_schema={"token": hw.StringSource})
    def api(init_context):
        seen["token"] = init_context.resource_config["token"]
        return "client"

    @hw.op(required_resource_keys={"api"})
    def call(context):
        return context.resources.api

    @hw.job(resource_defs={"api": api})
    def uses_api():
        call()

    monkeypatch.setenv("HW_SECRET_TOKEN", "s3cret")
    config = {"resources": {"api": {"config": {"token": {"env": "HW_SECRET_TOKEN"}}}}}
    assert hw.validate_run_config(uses_api, config)["resources"]["api"]["config"] == {
        "token": {"env": "HW_SECRET_TOKEN"}}
    result = uses_api.execute_in_process(config)
    assert seen == {"token": "s3cret"}
    assert "s3cret" not in repr(result.run_config)


def test_run_config_json_schema_accepts_good_and_rejects_bad_configs():
    """The JSON Schema of a job's run config agrees with validation on good and bad configs."""
    jsonschema = pytest.importorskip("jsonschema")
    from headwater.definitions.config.json_schema import default_run_config, run_config_schema

    schema = run_config_schema(etl)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {"ops": {"load": {"config": {"limit": 3}}},
            "resources": {"warehouse": {"config": {"url": "u"}}}}
    assert not list(validator.iter_errors(good))
    for bad in ({}, {"ops": {"load": {"config": {"limit": "ten"}}}},
                {**good, "opz": {}}, {**good, "ops": {"lod": {}}}):
        assert list(validator.iter_errors(bad)), bad
    scaffold = default_run_config(etl)
    assert scaffold["ops"]["load"]["config"] == {"limit": 0, "mode": "fast"}
    assert scaffold["resources"]["warehouse"]["config"] == {"url": "..."}
    assert not list(validator.iter_errors(scaffold))
    hw.validate_run_config(etl, scaffold)
