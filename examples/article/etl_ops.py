"""Ops and Jobs: extract_data -> transform_data -> load_data, wired by etl_pipeline."""

from headwater import Definitions, job, op


@op
def extract_data(context):
    context.log.info("Extracting data from source")
    return {"raw_data": [1, 2, 3, 4, 5]}

@op
def transform_data(context, input_data):
    context.log.info(f"Transforming data: {input_data}")
    return {"transformed_data": [x * 10 for x in input_data["raw_data"]]}

@op
def load_data(context, input_data):
    context.log.info(f"Loading data: {input_data}")
    return "Data loaded successfully"

@job
def etl_pipeline():
    load_data(transform_data(extract_data()))


defs = Definitions(jobs=[etl_pipeline])
