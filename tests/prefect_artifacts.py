"""Reading back the artifacts a flow run published (tests run against ``prefect_harness``)."""

from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort


def artifacts_of_run(flow_run_id: UUID, keys: list[str]) -> dict[str, list[Artifact]]:
    """``key -> artifacts`` created by the flow run (the progress bar included: the shard tasks
    run in the label flow's own run, not in a subflow).

    ``client.read_artifacts`` cannot be used here: with FastAPI < 0.155 (pinned in
    pyproject.toml) the server refuses the nulls it sends for filters left out, and an empty
    task-run filter keeps only artifacts of task runs, not these flow-level ones. So the filter
    request is sent without the task-run filter.
    """
    body = {
        "artifacts": ArtifactFilter(
            key=ArtifactFilterKey(any_=keys),
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
        ).model_dump(mode="json", exclude_unset=True),
        "sort": ArtifactSort.CREATED_DESC.value,
        "limit": 100,
        "offset": 0,
    }
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json=body)
    found: dict[str, list[Artifact]] = {key: [] for key in keys}
    for artifact in Artifact.model_validate_list(response.json()):
        found[artifact.key].append(artifact)
    return found
