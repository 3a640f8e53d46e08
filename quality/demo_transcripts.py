"""Made-up contact-center conversations for the demo: calls, chats and e-mails about billing
disputes, password resets, late deliveries, plan changes, cancellations, technical faults
and refunds.

Everything here is written for Coachdesk (no text from any dataset). A conversation is
built from a topic's phrases and the agent's :class:`AgentStyle`, with a seeded
``random.Random``, so the same seed always gives the same transcript. Styles differ in the
behaviours the demo scorecard looks for — some agents greet well and never close politely,
one now and then says what compliance forbids, some apologise when the customer is upset
and some don't — so the scorecard's attributes come out differently per agent.

:func:`make_conversation` returns the turns (``{"speaker", "text", "at"}``, ``at`` in
seconds from the start), the handle time, and :class:`Facts`: what the agent really did,
which the demo's human auditors answer from.
"""

import random
from dataclasses import dataclass, field

# --- agents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentStyle:
    """How likely an agent is to do each behaviour in one conversation (0…1)."""

    label: str
    greets: float  # opens with the company greeting and their name
    closes: float  # offers further help and says goodbye politely
    apologises: float  # apologises right after the customer is upset
    slips: float  # says something compliance forbids (a promise, a password read out)
    knows: float  # answers product questions confidently and correctly
    clear: float  # explains in short, plain steps (what auditors call communication)
    solves: float  # fixes the problem in this contact
    pace: float = 1.0  # multiplier on how long they take


STYLES = {
    "model": AgentStyle("by the book", greets=0.95, closes=0.95, apologises=0.9, slips=0.0,
                        knows=0.9, clear=0.9, solves=0.9),
    "warm": AgentStyle("warm opener, abrupt ending", greets=0.95, closes=0.15, apologises=0.9,
                       slips=0.0, knows=0.7, clear=0.7, solves=0.75),
    "brisk": AgentStyle("brisk", greets=0.3, closes=0.85, apologises=0.2, slips=0.0,
                        knows=0.8, clear=0.5, solves=0.8, pace=0.7),
    "new": AgentStyle("new starter", greets=0.7, closes=0.6, apologises=0.6, slips=0.0,
                      knows=0.3, clear=0.4, solves=0.55, pace=1.6),
    "cold": AgentStyle("polite but cold", greets=0.9, closes=0.9, apologises=0.1, slips=0.0,
                       knows=0.75, clear=0.8, solves=0.8),
    "risky": AgentStyle("over-promises", greets=0.8, closes=0.7, apologises=0.7, slips=0.3,
                        knows=0.6, clear=0.6, solves=0.7),
}
# Agents take the styles in this order (one over-promiser per ten agents).
STYLE_CYCLE = ["model", "warm", "brisk", "new", "cold", "model", "risky", "warm", "brisk",
               "cold"]


def style_for(index: int) -> AgentStyle:
    """The style of the ``index``-th demo agent (0-based)."""
    return STYLES[STYLE_CYCLE[index % len(STYLE_CYCLE)]]


# --- what the scorecard listens for -------------------------------------------------------
# The demo scorecard's rules use these phrases; the conversations below use them only where
# the behaviour happens, so a rule that looks for them is right when it finds them.

GREETING_PHRASES = ["thank you for calling", "thanks for calling", "thank you for contacting",
                    "thanks for contacting", "thanks for reaching out"]
APOLOGY_PHRASES = ["sorry", "apologise", "apologize", "i understand how", "frustrating"]
FORBIDDEN_PHRASES = ["i guarantee", "i promise you", "your password is", "just between us",
                     "full card number"]
CLOSING_PHRASES = ["anything else", "have a great day", "have a lovely day",
                   "have a nice day", "enjoy the rest of your day"]
SOLVED_PHRASES = ["i've processed", "i've reset", "i've issued", "i've changed",
                  "i've updated", "is now fixed", "that's all sorted", "has been resolved"]


# --- topics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    key: str
    name: str
    queue: str
    short: str  # the work item's short description
    reference: str  # what the agent asks for to find the customer
    reference_values: tuple[str, ...]
    calm_openings: tuple[str, ...]
    upset_openings: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]  # (agent asks, customer answers)
    good_answers: tuple[str, ...]  # the agent knows the product
    vague_answers: tuple[str, ...]  # the agent does not
    solved: tuple[str, ...]
    unsolved: tuple[str, ...]
    slips: tuple[str, ...]
    upset_follow_ups: tuple[str, ...]
    category: str = ""


TOPICS = [
    Topic(
        key="billing-dispute", name="Billing dispute", queue="Billing", category="Billing",
        short="Customer disputes a charge on the latest bill",
        reference="the account number on your bill", reference_values=(
            "It's 4417 2290.", "Account 5582 1034.", "Sure, 3309 8841."),
        calm_openings=(
            "Hi, there's a charge on my bill this month that I don't recognise.",
            "Hello, I think I've been billed for something I didn't order.",
            "Hi there, my bill is higher than usual and I'd like to know why.",
        ),
        upset_openings=(
            "I've been charged twice for the same month and I'm really annoyed about it.",
            "This is the third time my bill is wrong. I'm fed up with this.",
            "You took money from my account without asking. This is unacceptable.",
        ),
        questions=(
            ("Which charge is it, the one dated the 3rd or the 17th?",
             "The one on the 17th, for 24.99."),
            ("Did anyone in your household add a service recently?",
             "No, it's just me and I didn't add anything."),
            ("Do you still have the paper bill or are you looking at the app?",
             "I'm looking at it in the app right now."),
        ),
        good_answers=(
            "I can see it: the 24.99 is the premium sports add-on, which was switched on "
            "when the free trial ended on the 16th.",
            "The second charge is a pro-rata amount from when your plan changed mid-month; "
            "the next bill goes back to the normal price.",
        ),
        vague_answers=(
            "Hmm, I'm not totally sure what that line is. It might be some kind of fee.",
            "Charges like that are usually correct, the system does them automatically.",
        ),
        solved=(
            "I've processed a credit of 24.99; you'll see it on your next bill.",
            "I've issued a refund for the duplicate charge; it takes three to five working "
            "days to reach your account.",
        ),
        unsolved=(
            "I can't change charges from here, so I've raised it with the billing team; "
            "they'll reply within five working days.",
        ),
        slips=(
            "I guarantee this will never happen again on your account.",
            "Honestly, just between us, the billing system does this all the time.",
        ),
        upset_follow_ups=(
            "Five days? That's ridiculous, it's my money.",
            "I shouldn't have to chase you for this every month. It's terrible service.",
        ),
    ),
    Topic(
        key="password-reset", name="Password reset", queue="Technical support",
        category="Account", short="Customer locked out, needs a password reset",
        reference="the e-mail address on the account", reference_values=(
            "It's sam.porter@example.com.", "j.moreno@example.net", "It should be "
            "lee.hart@example.org."),
        calm_openings=(
            "Hi, I forgot my password and now I can't log in to the app.",
            "Hello, I'd like to reset my password please.",
            "Hi, the app says my password has expired and I'm not sure what to do.",
        ),
        upset_openings=(
            "I've been locked out of my account for two days and nobody has helped me. "
            "This is awful.",
            "Your reset link doesn't work, I've tried five times and I'm so frustrated.",
        ),
        questions=(
            ("Can you confirm your date of birth for security?", "The 14th of March 1986."),
            ("Are you trying on the phone app or on the website?", "On the phone app."),
            ("Do you still have access to that e-mail inbox?", "Yes, I can open my e-mail."),
        ),
        good_answers=(
            "After five wrong attempts the account locks for security; a reset link unlocks "
            "it, and the link is valid for 30 minutes.",
            "The app keeps an old session, so after the reset sign out fully and back in, or "
            "the old password keeps being tried.",
        ),
        vague_answers=(
            "I think the system locks people out sometimes, I'm not sure why exactly.",
            "Maybe try clearing something on your phone? It sometimes helps.",
        ),
        solved=(
            "I've reset the lock and sent a new link to your inbox; it works for 30 minutes.",
            "I've reset your account; you can choose a new password now.",
        ),
        unsolved=(
            "The reset needs the security team, so I've passed it on; they'll e-mail you "
            "within a day.",
        ),
        slips=(
            "Okay, your password is Summer2024, you can change it later.",
            "I promise you nobody else can ever get into your account.",
        ),
        upset_follow_ups=(
            "A day? I need to get in now, this is useless.",
            "Why is it always so complicated with you? It's a terrible system.",
        ),
    ),
    Topic(
        key="delivery-delay", name="Delivery delay", queue="Orders", category="Orders",
        short="Order late, customer asks where it is",
        reference="your order number", reference_values=(
            "Order 88-20417.", "It's 88-31552.", "88-19903, I think."),
        calm_openings=(
            "Hi, I'm checking on my order, it was due yesterday.",
            "Hello, could you tell me where my parcel is?",
            "Hi, my delivery hasn't arrived yet and I wanted to check the status.",
        ),
        upset_openings=(
            "My order is a week late and I needed it for my daughter's birthday. "
            "I'm really upset.",
            "Where is my parcel? The tracking hasn't moved in five days. Terrible.",
            "This is the worst delivery experience I've ever had.",
        ),
        questions=(
            ("Is the delivery address still 12 Harbour Street?", "Yes, that's right."),
            ("Did you get a card through the door from the courier?", "No, nothing at all."),
            ("Would a neighbour have taken it in?", "I asked, they haven't seen it."),
        ),
        good_answers=(
            "The parcel is at the regional depot; it missed the van on Monday because of a "
            "label scan error, and it's booked on tomorrow's first round.",
            "Standard delivery is three to five working days from dispatch, and yours was "
            "dispatched on Thursday, so it's due today by 6 pm.",
        ),
        vague_answers=(
            "The courier is a separate company, so I don't really know where it is.",
            "It should turn up at some point, these things usually do.",
        ),
        solved=(
            "I've upgraded it to next-day delivery at no cost and updated the address note "
            "for the driver.",
            "I've issued a replacement that goes out today by express.",
        ),
        unsolved=(
            "I have to wait for the courier's investigation before I can do anything; it "
            "takes up to 48 hours.",
        ),
        slips=(
            "I guarantee it will be with you tomorrow morning.",
            "I promise you it's on the van right now.",
        ),
        upset_follow_ups=(
            "48 hours? That's useless, the party is on Saturday.",
            "I'm really disappointed, I won't order from you again.",
        ),
    ),
    Topic(
        key="plan-change", name="Plan change", queue="Sales", category="Account",
        short="Customer wants to change to another plan",
        reference="the phone number on the account", reference_values=(
            "07700 900123.", "It's 07700 900456.", "07700 900789."),
        calm_openings=(
            "Hi, I'd like to move to a cheaper plan if that's possible.",
            "Hello, I'm thinking about upgrading to the unlimited data plan.",
            "Hi, can I add a second line to my plan?",
        ),
        upset_openings=(
            "I was told last month my plan would change and it still hasn't. "
            "I'm annoyed, honestly.",
        ),
        questions=(
            ("How much data do you use in a normal month?", "Around 15 gigabytes."),
            ("Do you want the change now or from your next bill?", "From the next bill is fine."),
            ("Is the second line for someone in your household?", "Yes, for my son."),
        ),
        good_answers=(
            "The 20 GB plan is 12 a month and rolls unused data over for one month; at 15 GB "
            "you'd save 6 a month compared with unlimited.",
            "A second line on the family plan is 8 a month, and both lines share the data "
            "pool, so you don't need to buy extra.",
        ),
        vague_answers=(
            "There are a few plans, I think one of them is cheaper but I'd have to check.",
            "The unlimited one is probably best, most people take that.",
        ),
        solved=(
            "I've changed your plan from the next bill, and you'll get a confirmation text.",
            "I've updated the account with the second line; the SIM is on its way.",
        ),
        unsolved=(
            "Your contract has a minimum term, so I can't change it yet; I've noted the "
            "request for the end date.",
        ),
        slips=(
            "I promise you the price won't go up for as long as you're with us.",
            "Just between us, if you threaten to leave they'll give you a better deal.",
        ),
        upset_follow_ups=(
            "So I'm stuck paying more for months? That's not fair at all.",
        ),
    ),
    Topic(
        key="cancellation", name="Cancellation", queue="Sales", category="Account",
        short="Customer asks to cancel the subscription",
        reference="your customer number", reference_values=(
            "It's C-220145.", "C-318802.", "C-104477."),
        calm_openings=(
            "Hi, I'd like to cancel my subscription please.",
            "Hello, I'm moving abroad and need to close my account.",
        ),
        upset_openings=(
            "I want to cancel. The service has been terrible for months and I'm done.",
            "Cancel my account now please, I'm sick of the outages.",
        ),
        questions=(
            ("May I ask what made you decide to leave?", "It's just too expensive for me now."),
            ("Would you like the cancellation at the end of this billing month?",
             "Yes, the end of the month is fine."),
        ),
        good_answers=(
            "You're out of contract, so there's no fee; the service runs to the end of the "
            "month and the last bill is only for days used.",
            "Before you go: the basic plan at half the price keeps your number and e-mail "
            "address, if that would help.",
        ),
        vague_answers=(
            "There might be a fee, I'm not sure, it depends on things.",
            "I think you get a last bill but I don't know how much.",
        ),
        solved=(
            "I've processed the cancellation for the 31st, and the confirmation is on its "
            "way by e-mail.",
            "I've changed you to the basic plan instead, from today.",
        ),
        unsolved=(
            "Cancellations go through the retention team, so I've asked them to call you "
            "back tomorrow.",
        ),
        slips=(
            "I guarantee you won't be charged anything else, ever.",
            "Just between us, everyone is leaving at the moment.",
        ),
        upset_follow_ups=(
            "Another call? I just want it cancelled, this is ridiculous.",
        ),
    ),
    Topic(
        key="technical-fault", name="Technical fault", queue="Technical support",
        category="Technical", short="Internet connection keeps dropping",
        reference="the postcode of the installation", reference_values=(
            "It's 1012 AB.", "SW1A 2AA.", "The postcode is 3511 CX."),
        calm_openings=(
            "Hi, my internet keeps dropping out in the evenings.",
            "Hello, the TV box shows an error code E42 since this morning.",
            "Hi, my broadband is much slower than it should be.",
        ),
        upset_openings=(
            "My internet has been down for three days and I work from home. This is a "
            "disaster.",
            "The connection drops every hour, I've already called twice and it's still "
            "broken. I'm angry.",
        ),
        questions=(
            ("Which lights are on the router right now?", "Power is green, internet is red."),
            ("Have you restarted the router in the last day?", "Yes, twice this morning."),
            ("Is the router connected with the grey cable to the wall socket?",
             "Yes, the grey one."),
        ),
        good_answers=(
            "A red internet light means the line is up but the login fails; that matches a "
            "profile error we can reset from here without an engineer.",
            "Error E42 means the box lost its TV licence key; a remote refresh fixes it in "
            "about two minutes.",
        ),
        vague_answers=(
            "It could be lots of things, maybe the weather or your wifi.",
            "I don't really know what that light means, sorry, maybe try turning it off?",
        ),
        solved=(
            "I've reset the line profile and the light is green now, so the connection is "
            "now fixed.",
            "I've updated the box remotely and the error has been resolved.",
        ),
        unsolved=(
            "It looks like a fault outside, so I've booked an engineer for Thursday "
            "between 8 and 12.",
        ),
        slips=(
            "I guarantee the engineer will fix it the first time.",
            "I promise you this will be the last time it drops.",
        ),
        upset_follow_ups=(
            "Thursday? I can't work until Thursday, that's terrible.",
            "I've wasted hours on this. It's really bad.",
        ),
    ),
    Topic(
        key="refund", name="Refund", queue="Billing", category="Billing",
        short="Refund for a returned item not received",
        reference="the return number", reference_values=(
            "RT-55120.", "It's RT-60341.", "RT-47793."),
        calm_openings=(
            "Hi, I returned a jacket two weeks ago and I'm checking on the refund.",
            "Hello, could you tell me when my refund will arrive?",
        ),
        upset_openings=(
            "I sent the item back a month ago and still no refund. This is a joke.",
            "You've had my return for weeks and I've had nothing back. I'm really angry.",
        ),
        questions=(
            ("How did you pay for the order, card or voucher?", "By card."),
            ("Did you send it back with the prepaid label?", "Yes, the one in the box."),
        ),
        good_answers=(
            "The warehouse scanned the return on Monday; card refunds are released after "
            "the quality check, which takes up to three working days.",
            "Refunds go back to the original card, and the bank usually shows them three to "
            "five days after we release them.",
        ),
        vague_answers=(
            "Refunds take a while, I can't really say how long.",
            "It's probably stuck somewhere, they do get stuck sometimes.",
        ),
        solved=(
            "I've issued the refund now, 59.90 back to your card.",
            "I've processed it manually, so it's released today.",
        ),
        unsolved=(
            "The warehouse hasn't checked it in yet, so I've asked them to look for it; "
            "we'll e-mail you when they find it.",
        ),
        slips=(
            "I guarantee the money is in your account by tomorrow.",
            "If you read me the full card number I can push it through faster.",
        ),
        upset_follow_ups=(
            "You keep saying that and nothing happens. I'm fed up.",
        ),
    ),
]
TOPIC_BY_KEY = {t.key: t for t in TOPICS}

# Queue mix per team name (teams not listed use every topic equally).
TEAM_TOPICS = {
    "Service Desk": ["password-reset"] * 4 + ["technical-fault"] * 4 + ["plan-change"],
    "Network Operations": ["technical-fault"] * 5 + ["password-reset"] * 2 + ["cancellation"],
    "Customer Care": ["delivery-delay"] * 3 + ["refund"] * 2 + ["billing-dispute"] * 2
    + ["plan-change", "cancellation"],
    "Billing": ["billing-dispute"] * 3 + ["refund"] * 2 + ["plan-change", "cancellation"],
}

CUSTOMERS = ["Sam", "Jordan", "Alex", "Morgan", "Chris", "Robin", "Dana", "Taylor", "Kim",
             "Jamie", "Pat", "Charlie", "Noor", "Eli", "Rene", "Sasha"]

# --- generic phrases ------------------------------------------------------------------------

HAPPY_REACTIONS = ("That's great, thank you so much!", "Perfect, that's really helpful.",
                   "Brilliant, thanks, you've been very helpful.", "Lovely, thank you.",
                   "Oh that's a relief, thanks a lot!")
NEUTRAL_REACTIONS = ("Okay.", "Right, okay.", "Fine, I'll wait then.", "Okay, if that's how "
                     "it works.")
UPSET_REACTIONS = ("That's useless.", "So nothing gets fixed today. Terrible.",
                   "I'm really disappointed.")
HOLDS = ("Let me pull up your account, one moment.", "Bear with me while I check that.",
         "Give me a second to look at the history.", "I'm just checking the notes on this.")
CUSTOMER_WAITS = ("Sure.", "No problem.", "Okay, I'll hold.", "Take your time.")
UPSET_WAITS = ("Fine, but this is really annoying.", "Please hurry, this is ridiculous.",
               "Whatever. I'm just so frustrated.", "I've already waited ages, this is awful.")
CHECKS = ("Thanks for waiting.", "Thanks, I have it in front of me now.",
          "Right, I can see the account.")
EXTRA_QUESTIONS = (("Can I also check the contact number we have, is it still the mobile?",
                    "Yes, the mobile is fine."),
                   ("Would you like the confirmation by e-mail or text?", "E-mail please."),
                   ("If we need to reach you, what time of day suits you best?",
                    "Mornings are best."))
NO_MORE = ("No, that's everything, thanks.", "No, that's all.", "Nope, that was it.",
           "No thanks, that's all for today.")
POLITE_CLOSES = ("Is there anything else I can help you with today?",
                 "Is there anything else I can do for you?")
POLITE_GOODBYES = ("Thanks for your patience, have a great day.",
                   "Thank you, and have a lovely day.",
                   "Thanks again, and have a nice day.")
CURT_GOODBYES = ("Okay. Bye.", "Done. Bye.", "Right, that's it then.", "Ok.")
CUSTOMER_BYES = ("Bye.", "Thanks, bye.", "Cheers, bye.")
APOLOGIES = ("I'm really sorry about that, I understand how frustrating this is.",
             "I'm so sorry this has happened, let me sort it out for you.",
             "I apologise for the trouble, that's not the experience we want you to have.")
FLAT_RESPONSES = ("Okay.", "Right.", "Noted.", "I see. Let's move on.")
CURT_OPENINGS = ("Hi. What's the problem?", "Yes?", "Hello, go ahead.", "Hi, what do you need?")
EXPLAIN_CLEAR = "Here's what I can see. {answer}"
EXPLAIN_MUDDLED = ("Right so, well, it depends a bit, there's the one system and then the "
                   "other one. {answer} Or it could be something else, it's hard to say.")


@dataclass
class Facts:
    """What the agent did in a conversation (what a human auditor would answer)."""

    greeted: bool
    closed: bool
    upset: bool  # the customer was upset at least once
    apologised: bool | None  # None when the customer never was upset
    slipped: bool
    knowledge: int  # 0…4
    clear: bool
    solved: bool


@dataclass
class Conversation:
    channel: str  # call, chat or email
    topic: Topic
    turns: list[dict] = field(default_factory=list)
    handle_time_seconds: int = 0
    facts: Facts | None = None
    escalated: bool = False


TURN_RANGE = {"call": (12, 30), "chat": (10, 24), "email": (8, 12)}


class _Builder:
    """Adds turns with plausible pauses (seconds for calls and chats, hours for e-mails)."""

    def __init__(self, rng: random.Random, channel: str, pace: float):
        self.rng, self.channel, self.pace = rng, channel, pace
        self.turns: list[dict] = []
        self.at = 0
        self.agent_work = 0  # e-mails: time the agent spent writing

    def say(self, speaker: str, text: str, *, slow: bool = False) -> None:
        rng = self.rng
        if self.turns:
            if self.channel == "email":
                gap = rng.randint(1800, 6 * 3600) if speaker == "customer" \
                    else int(rng.randint(900, 4 * 3600) * self.pace)
            elif self.channel == "chat":
                gap = rng.randint(8, 45) if speaker == "customer" \
                    else int(rng.randint(10, 50) * self.pace)
            else:
                gap = rng.randint(3, 15) if speaker == "customer" \
                    else int(rng.randint(4, 18) * self.pace)
            if slow:
                gap += int(rng.randint(30, 120) * self.pace)
            self.at += gap
        if speaker == "agent" and self.channel == "email":
            self.agent_work += int(rng.randint(50, 160) * self.pace)
        self.turns.append({"speaker": speaker, "text": text, "at": self.at})

    def handle_time(self) -> int:
        if self.channel == "email":
            return max(self.agent_work, 60)
        return self.at + self.rng.randint(20, 60)  # wrap-up after the last turn


def _email(text: str, *, customer: str, agent_name: str, speaker: str, first: bool,
           greeting: bool, org_name: str) -> str:
    """E-mail etiquette around a message (the greeting only where the agent greets)."""
    if speaker == "customer":
        return f"Hello,\n\n{text}\n\n{customer}"
    opening = f"Dear {customer},\n\n"
    if first and greeting:
        opening += f"Thank you for contacting {org_name}. "
    return f"{opening}{text}\n\nKind regards,\n{agent_name}"


def make_conversation(rng: random.Random, *, channel: str, style: AgentStyle, topic: Topic,
                      agent_name: str, org_name: str) -> Conversation:
    """One conversation of ``channel`` about ``topic`` by an agent of ``style``."""
    b = _Builder(rng, channel, style.pace)
    customer = rng.choice(CUSTOMERS)
    upset_start = rng.random() < 0.4
    greeted = rng.random() < style.greets
    slips = rng.random() < style.slips
    knows = rng.random() < style.knows
    clear = rng.random() < style.clear
    solved = rng.random() < style.solves
    closes = rng.random() < style.closes
    low, high = TURN_RANGE[channel]
    target = rng.randint(low, high)
    upset = False
    apologies: list[bool] = []

    def agent(text: str, **kw) -> None:
        if channel == "email":
            text = _email(text, customer=customer, agent_name=agent_name, speaker="agent",
                          first=not any(t["speaker"] == "agent" for t in b.turns),
                          greeting=greeted, org_name=org_name)
        b.say("agent", text, **kw)

    def cust(text: str, **kw) -> None:
        if channel == "email":
            text = _email(text, customer=customer, agent_name=agent_name, speaker="customer",
                          first=False, greeting=False, org_name=org_name)
        b.say("customer", text, **kw)

    def react_to_upset() -> None:
        nonlocal upset
        upset = True
        said = rng.random() < style.apologises
        apologies.append(said)
        if said:
            agent(rng.choice(APOLOGIES))
        elif channel != "email":
            agent(rng.choice(FLAT_RESPONSES))

    # Opening.
    opening = rng.choice(topic.upset_openings if upset_start else topic.calm_openings)
    if channel == "email":
        cust(opening)
        if upset_start:
            react_to_upset()
        agent(f"Could you send me {topic.reference}?")
    else:
        if greeted:
            verb = "calling" if channel == "call" else "contacting"
            agent(f"Thank you for {verb} {org_name}, my name is {agent_name}. "
                  "How can I help you today?")
        else:
            agent(rng.choice(CURT_OPENINGS))
        cust(opening)
        if upset_start:
            react_to_upset()
        agent(f"Can I have {topic.reference}, please?")
    cust(rng.choice(topic.reference_values))
    if channel != "email":
        agent(rng.choice(HOLDS))
        cust(rng.choice(UPSET_WAITS if upset_start else CUSTOMER_WAITS))
        agent(rng.choice(CHECKS), slow=True)

    # The agent's questions, as many as the conversation's length leaves room for.
    reserve = 4 if channel == "email" else 6  # explanation, outcome and closing
    questions = list(topic.questions)
    rng.shuffle(questions)
    while questions and len(b.turns) + 2 + reserve <= target:
        ask, answer = questions.pop()
        agent(ask)
        cust(answer)

    # The explanation.
    answer = rng.choice(topic.good_answers if knows else topic.vague_answers)
    knowledge = rng.choice([3, 4]) if knows else rng.choice([0, 1, 2])
    agent((EXPLAIN_CLEAR if clear else EXPLAIN_MUDDLED).format(answer=answer), slow=not knows)
    if slips:
        agent(rng.choice(topic.slips))

    # The outcome.
    if solved:
        agent(rng.choice(topic.solved), slow=True)
        cust(rng.choice(HAPPY_REACTIONS))
    else:
        agent(rng.choice(topic.unsolved), slow=True)
        if rng.random() < 0.6 or upset_start:
            cust(rng.choice(topic.upset_follow_ups))
            react_to_upset()
            if channel != "email":
                cust(rng.choice(NEUTRAL_REACTIONS))
        else:
            cust(rng.choice(UPSET_REACTIONS if upset_start else NEUTRAL_REACTIONS))

    # Small talk until the closing fits the target length (calls run longer than chats).
    closing_turns = (1 if closes else 0) if channel == "email" else (3 if closes else 2)
    extra = list(EXTRA_QUESTIONS)
    rng.shuffle(extra)
    while extra and (len(b.turns) + closing_turns < min(target, low) or (
            channel != "email" and len(b.turns) + closing_turns + 2 <= target)):
        ask, reply = extra.pop()
        agent(ask)
        cust(reply)

    # Closing (an e-mail thread that is not closed politely just stops).
    if closes:
        if channel == "email":
            agent("If there is anything else we can do, just reply to this e-mail. "
                  + rng.choice(POLITE_GOODBYES))
        else:
            agent(rng.choice(POLITE_CLOSES))
            cust(rng.choice(NO_MORE))
            agent(rng.choice(POLITE_GOODBYES))
    elif channel != "email":
        agent(rng.choice(CURT_GOODBYES))
        cust(rng.choice(CUSTOMER_BYES))

    facts = Facts(
        greeted=greeted, closed=closes, upset=upset,
        apologised=(all(apologies) if apologies else None), slipped=slips,
        knowledge=knowledge, clear=clear, solved=solved,
    )
    return Conversation(channel=channel, topic=topic, turns=b.turns,
                        handle_time_seconds=b.handle_time(), facts=facts,
                        escalated=upset and not solved and rng.random() < 0.5)
