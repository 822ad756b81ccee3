from __future__ import annotations

from graphdatascience import GraphDataScience

from graph import schema
from graph.database import ConnectionInfo, Database


def test_apply_schema_is_idempotent(database: Database) -> None:
    schema.apply_schema(database)
    assert schema.apply_schema(database) == []
    status = schema.schema_status(database)
    assert status.ready, status


def test_fulltext_finds_chinese_names_by_part(clean_db: Database) -> None:
    clean_db.write_rows(
        "UNWIND $rows AS row MERGE (c:Company {company_id: row.id}) SET c.name = row.name",
        [
            {"id": "C1", "name": "华为技术有限公司"},
            {"id": "C2", "name": "深圳市腾讯计算机系统有限公司"},
            {"id": "C3", "name": "比亚迪股份有限公司"},
        ],
    )
    query = (
        "CALL db.index.fulltext.queryNodes('company_name_fulltext', $q) YIELD node, score "
        "RETURN node.company_id AS id ORDER BY score DESC"
    )
    assert [r["id"] for r in clean_db.read(query, {"q": "技术"})][:1] == ["C1"]
    assert [r["id"] for r in clean_db.read(query, {"q": "腾讯"})][:1] == ["C2"]
    assert [r["id"] for r in clean_db.read(query, {"q": "比亚迪"})][:1] == ["C3"]


def test_unique_company_id_is_enforced(clean_db: Database) -> None:
    from core.errors import ConflictError

    clean_db.write("CREATE (:Company {company_id: 'X'})")
    try:
        clean_db.write("CREATE (:Company {company_id: 'X'})")
    except ConflictError:
        pass
    else:
        raise AssertionError("duplicate company_id was accepted")
    rows = clean_db.read("MATCH (c:Company {company_id: 'X'}) RETURN count(c) AS n")
    assert rows == [{"n": 1}]


def test_write_rows_batches_and_is_idempotent(clean_db: Database) -> None:
    query = "UNWIND $rows AS row MERGE (p:Person {person_id: row.id}) SET p.name = row.name"
    rows = [{"id": f"P{i}", "name": f"人{i}"} for i in range(12_345)]
    batches: list[int] = []
    first = clean_db.write_rows(query, rows, batch_size=5_000, on_batch=batches.append)
    assert batches == [5_000, 5_000, 2_345]
    assert first.nodes_created == 12_345
    second = clean_db.write_rows(query, rows, batch_size=5_000)
    assert second.nodes_created == 0
    assert clean_db.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 12_345}]


def test_gds_is_loaded_in_the_local_server(database: Database, connection: ConnectionInfo) -> None:
    """The embedded launcher loads GDS 2.13 (the line for Neo4j 5.26)."""
    version = database.gds_version()
    assert version is not None
    assert version.startswith("2.13")
    gds = GraphDataScience(connection.uri, auth=(connection.user, connection.password))
    try:
        assert str(gds.server_version()).startswith("2.13")
        rows = gds.run_cypher(
            "CALL gds.graph.project.cypher('probe', "
            "'UNWIND range(1, 4) AS i RETURN i AS id', "
            "'UNWIND [[1, 2], [2, 3], [3, 1], [3, 4]] AS e RETURN e[0] AS source, e[1] AS target') "
            "YIELD nodeCount RETURN nodeCount"
        )
        assert int(rows["nodeCount"][0]) == 4
        components = gds.run_cypher(
            "CALL gds.wcc.stream('probe') YIELD componentId RETURN count(DISTINCT componentId) AS n"
        )
        assert int(components["n"][0]) == 1
    finally:
        gds.run_cypher("CALL gds.graph.drop('probe', false) YIELD graphName RETURN graphName")
        gds.close()
