"""A researcher adds a new contact channel as one small registered class, and uses it from YAML."""
from simlib.world.channels import ContactKind, register_channel_kind, registered_channels
from simlib.model.engine import World
from simlib.core.ledger import Kind
from simlib.model.population import draw_population


@register_channel_kind("home_visit")
class HomeVisit(ContactKind):
    """A visit always reaches the patient and costs the channel's price."""

    def contact(self, world, acct, request):
        world.count("contacts")
        acct.book(Kind.COST_CONTACT, self.cost_cents, acct.now)
        acct.jump(self.cfg.jump_per_day * acct.responsiveness)
        return None


def test_a_registered_channel_kind_is_usable_from_a_scenario(make_scenario):
    assert "home_visit" in registered_channels()
    sc = make_scenario({"visits": {"statement_channel": "letter", "write_off": {"after_days": 400},
                                   "ladder": [{"day": 5, "channel": "visit", "hour": None}]},
                        "none": {"statement_channel": "letter", "write_off": {"after_days": 400}}},
                       simulation={"open_book_accounts": 300},
                       channels={"visit": {"kind": "home_visit", "cost": 40.0, "jump_per_day": 0.2}})
    pop = draw_population(sc, 0)
    with_visits = World(sc, "visits", pop).run()
    without = World(sc, "none", pop).run()
    visits = with_visits.counters["contacts"]
    assert 0 < visits <= 300
    assert with_visits.ledger.total([Kind.COST_CONTACT]) == visits * 4000
    paid = with_visits.ledger.total([Kind.PAYMENT_PATIENT], until_day=60)
    assert paid > without.ledger.total([Kind.PAYMENT_PATIENT], until_day=60)
