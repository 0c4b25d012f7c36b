def test_world_builds(world):
    assert world.a.company.id != world.b.company.id
