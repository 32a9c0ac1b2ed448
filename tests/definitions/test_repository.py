"""@repository, RepositoryDefinition and the repository-like lookups of Definitions."""

import warnings

import pytest

import headwater as hw


def _job(name):
    @hw.op(name=f"{name}_op")
    def the_op():
        pass

    @hw.job(name=name)
    def the_job():
        the_op()

    return the_job


def test_list_repository_exposes_jobs_by_name():
    """A list-form repository lists, finds and caches its jobs."""
    first, second = _job("first"), _job("second")

    @hw.repository
    def repo():
        return [first, second]

    assert isinstance(repo, hw.RepositoryDefinition)
    assert repo.name == "repo"
    assert repo.job_names == ["first", "second"]
    assert repo.has_job("first") and not repo.has_job("third")
    assert repo.get_job("first") is repo.get_job("first")
    assert {j.name for j in repo.get_all_jobs()} == {"first", "second"}


def test_lazy_jobs_are_built_once_on_first_lookup():
    """Functions in the dict form run only when their job is asked for, and only once."""
    calls = []

    def build():
        calls.append(1)
        return _job("lazy")

    @hw.repository
    def repo():
        return {"jobs": {"lazy": build}}

    assert calls == []
    assert repo.get_job("lazy").name == "lazy"
    repo.get_job("lazy")
    assert calls == [1]


def test_lazy_job_name_mismatch_is_refused():
    """A function mapped to one name that builds a job of another name is an error."""

    @hw.repository
    def repo():
        return {"jobs": {"foo": lambda: _job("bar")}}

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="does not match"):
        repo.get_job("foo")


def test_duplicate_job_names_are_refused_at_construction():
    """Two different jobs of one name fail when the repository is built."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="Duplicate job definition found for job 'foo'"):

        @hw.repository
        def _repo():
            return [_job("foo"), _job("foo")]


def test_non_definition_in_list_is_refused():
    """Anything but definitions in the returned list names the bad value."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="all elements of list"):

        @hw.repository
        def _repo():
            return ["nope"]


def test_sensor_naming_a_missing_job_is_refused():
    """A sensor with job_name= of a job the repository lacks fails at construction."""

    @hw.sensor(job_name="missing")
    def watcher(_):
        pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match='targets job "missing"'):

        @hw.repository
        def _repo():
            return [watcher]


def test_schedule_targeting_a_different_job_of_same_name_is_refused():
    """A schedule's job must be the job object passed in under that name."""
    given, other = _job("foo"), _job("foo")

    @hw.schedule(job=other, cron_schedule="* * * * *")
    def every_minute():
        pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="but a different job with the same name"):
        hw.Definitions(jobs=[given], schedules=[every_minute]).resolve_job_def("foo")


def test_asset_resources_are_checked_on_first_job_lookup():
    """A repository with an asset missing a resource builds, and fails on get_all_jobs."""

    @hw.asset(required_resource_keys={"db"})
    def table():
        pass

    @hw.repository
    def repo():
        return [table]

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="resource with key 'db' required by op 'table' was not provided"):
        repo.get_all_jobs()


def test_implicit_asset_job_is_listed_with_its_assets():
    """Assets give the repository the implicit asset job, listing the executable keys."""

    @hw.asset
    def a():
        return 1

    @hw.repository
    def repo():
        return [a, hw.SourceAsset("src")]

    (job_def,) = repo.get_all_jobs()
    assert job_def.name == "__ASSET_JOB"
    assert job_def.asset_layer.executable_asset_keys == {hw.AssetKey("a")}


def test_custom_repository_data():
    """A RepositoryData subclass needs only get_all_jobs."""
    the_job = _job("custom")

    class Data(hw.RepositoryData):
        def get_all_jobs(self):
            return [the_job]

    @hw.repository
    def repo():
        return Data()

    assert repo.get_job("custom") is the_job
    assert repo.schedule_defs == [] and repo.sensor_defs == []


def test_definitions_get_job_def_warns_for_asset_jobs_and_resolve_does_not():
    """get_job_def warns for jobs not passed directly; resolve_job_def is silent and cached."""

    @hw.asset
    def a():
        return 1

    defs = hw.Definitions(assets=[a], jobs=[hw.define_asset_job("all_assets")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolved = defs.resolve_job_def("all_assets")
        assert caught == []
        defs.get_job_def("all_assets")
    assert str(caught[0].message) == (
        "Found asset job named all_assets in Definitions(jobs=[...]): an asset job "
        "(define_asset_job) becomes a JobDefinition only once the asset graph is built. Call "
        "Definitions.resolve_job_def('all_assets') instead; get_job_def is deprecated.")
    assert defs.resolve_job_def("all_assets") is resolved


def test_unresolved_lookups_do_not_build_the_repository():
    """get_unresolved_sensor_def returns the sensor as passed without resolving anything."""

    @hw.sensor(name="watch")
    def watch(_):
        pass

    defs = hw.Definitions(sensors=[watch])
    assert defs.get_unresolved_sensor_def("watch") is watch
    assert not defs.has_resolved_repository_def()
    with pytest.raises(ValueError, match="SensorDefinition with name other not found"):
        defs.get_unresolved_sensor_def("other")
    assert isinstance(defs.get_repository_def(), hw.RepositoryDefinition)
    assert defs.has_resolved_repository_def()


def test_repository_exposes_its_asset_graph():
    """A @repository gives sensors the same asset graph Definitions would."""

    @hw.asset
    def upstream():
        return 1

    @hw.asset
    def downstream(upstream):
        return upstream

    @hw.repository
    def repo():
        return [upstream, downstream]

    graph = repo.resolve_asset_graph()
    assert graph.parents(hw.AssetKey("downstream")) == {hw.AssetKey("upstream")}


def test_repository_stays_callable():
    """Calling a @repository (as the function it decorated) returns the repository."""
    @hw.repository
    def my_repo():
        return [_job("callable_job")]

    assert my_repo() is my_repo
    assert my_repo().get_job("callable_job").name == "callable_job"


def test_assets_binding_different_resources_to_one_key_conflict():
    """Two assets that bind different definitions to one key are refused on the first job lookup."""

    @hw.asset(resource_defs={"db": hw.ResourceDefinition.hardcoded_resource("a")})
    def first():
        return 1

    @hw.asset(resource_defs={"db": hw.ResourceDefinition.hardcoded_resource("b")})
    def second():
        return 2

    @hw.repository
    def repo():
        return [first, second]

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="resource with key 'db'"):
        repo.get_all_jobs()


def test_resource_bound_to_an_asset_needs_its_own_dependencies():
    """A resource an asset binds (its IO manager too) must find the resources it requires."""

    @hw.io_manager(required_resource_keys={"bucket"})
    def manager():
        return None

    @hw.repository
    def repo():
        return [hw.SourceAsset("raw", io_manager_def=manager)]

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="'bucket' required by resource with key 'raw__io_manager'"):
        repo.get_all_jobs()


def test_io_manager_defs_of_assets_and_source_assets_each_serve_their_own_asset():
    """io_manager_def binds under '<asset>__io_manager'; a downstream asset reads a source
    asset through the source's own manager, and writes through its own."""
    calls = []

    class Tagged(hw.IOManager):
        def __init__(self, tag):
            self.tag = tag

        def handle_output(self, context, obj):
            calls.append((self.tag, "out", context.asset_key.path[-1]))

        def load_input(self, context):
            calls.append((self.tag, "in", context.asset_key.path[-1]))
            return 1

    raw = hw.SourceAsset("raw", io_manager_def=Tagged("source"))

    @hw.asset(io_manager_def=Tagged("own"))
    def cooked(raw):
        return raw + 1

    assert cooked.get_io_manager_key_for_asset_key(cooked.key) == "cooked__io_manager"
    assert hw.materialize([raw, cooked]).success
    assert calls == [("source", "in", "raw"), ("own", "out", "cooked")]


def test_an_asset_is_targeted_by_one_automation_sensor_only():
    """Two automation condition sensors whose targets share an asset are refused."""

    @hw.asset
    def shared():
        return 1

    sensors = [hw.AutomationConditionSensorDefinition("a", target=[shared]),
               hw.AutomationConditionSensorDefinition("b", target=[shared])]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'a' and 'b' both target 'shared'"):
        hw.Definitions(assets=[shared], sensors=sensors).resolve_asset_graph()


def test_resource_key_mapping_agrees_with_top_level_resources():
    """get_resource_key_mapping() maps each top-level resource object's id to its key; a
    resource_key_mapping= that agrees is accepted, one that does not is refused by entry."""

    class Creds(hw.ConfigurableResource):
        user: str

    creds = Creds(user="ada")

    @hw.op
    def ping() -> int:
        return 1

    @hw.job
    def pinger():
        ping()

    @hw.repository(top_level_resources={"creds": creds},
                   resource_key_mapping={id(creds): "creds"})
    def project():
        return [pinger]

    assert project.get_resource_key_mapping() == {id(creds): "creds"}

    other = Creds(user="bob")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match=r"@repository 'wrong': resource_key_mapping maps object id \d+ to "
                             r"'creds', but top_level_resources\['creds'\] is another object"):
        @hw.repository(name="wrong", top_level_resources={"creds": creds},
                       resource_key_mapping={id(other): "creds"})
        def wrong():
            return [pinger]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="top_level_resources has no resource 'db'"):
        @hw.repository(top_level_resources={"creds": creds},
                       resource_key_mapping={id(creds): "db"})
        def unknown():
            return [pinger]
