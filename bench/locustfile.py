"""Mixed load for `make bench`: 60 % citizens browsing and submitting, 30 % caseworkers claiming
and acting, 10 % supervisors listing. Request names start with "R " (reads) or "W " (writes)
so the report can give separate percentiles; "S " marks the once-per-user start (a session
made beforehand by bench/run.py; signing in, a deliberately slow password hash, is measured
apart). Targets 127.0.0.1 only (bench/run.py sets --host).
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = "Minzheng#2026"
PEOPLE = json.loads(os.environ.get("BENCH_PEOPLE", "{}"))
_citizen_numbers = itertools.count(100)
_township_numbers = itertools.count(0)


def csrf(client):
    return client.cookies.get("csrftoken", "")


class Portal(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def login(self, username):
        """Start from the session bench/run.py made for this user (signing in is measured on
        its own); sign in through the form only when there is none."""
        session = PEOPLE.get("sessions", {}).get(username)
        if session:
            self.client.cookies.set("sessionid", session)
            self.client.get("/", name="S first page")  # sets the CSRF cookie
            return
        self.client.get("/accounts/login/", name="S login page")
        self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf(self.client)},
            name="S log in",
            headers={"Referer": self.host + "/accounts/login/"},
        )

    def post(self, path, data, name):
        data = {**data, "csrfmiddlewaretoken": csrf(self.client)}
        return self.client.post(
            path, data, name=name, headers={"Referer": self.host + path}, allow_redirects=False
        )


class Citizen(Portal):
    weight = 60

    def on_start(self):
        self.username = f"bc{next(_citizen_numbers):06d}"
        self.login(self.username)

    @task(5)
    def browse(self):
        self.client.get("/", name="R home")
        r = self.client.get("/my/", name="R my cases")
        ids = re.findall(r'href="/my/(\d+)/"', r.text)
        if ids:
            self.client.get(f"/my/{random.choice(ids)}/", name="R my case")

    @task(1)
    def inbox(self):
        self.client.get("/my/messages/", name="R inbox")

    @task(1)
    def apply(self):
        r = self.post("/assistance/apply/linshi/", {}, "W start application")
        step1 = r.headers.get("Location", "")
        m = re.search(r"/applications/(\d+)/step/", step1)
        if not m:
            return
        pk = m.group(1)
        base = f"/assistance/applications/{pk}/step"
        self.post(
            f"{base}/1/",
            {
                "hardship_cause": "illness",
                "situation": "住院",
                "emergency_type": "expenditure",
                "expense_amount": "8000",
            },
            "W application step",
        )
        page = self.client.get(f"{base}/2/", name="R application step")
        data = dict.fromkeys(set(re.findall(r'name="(p\d+-wages)"', page.text)), "0")
        self.post(f"{base}/2/", data, "W application step")
        self.post(
            f"{base}/3/",
            {
                "financial_assets": "1000",
                "vehicles": "0",
                "extra_housing": "0",
                "bank_name": "宁夏银行",
                "bank_account": "6222021234567890",
            },
            "W application step",
        )
        self.post(f"{base}/4/", {}, "W application step")
        self.post(f"{base}/5/", {"declaration": "on"}, "W submit application")


class Caseworker(Portal):
    weight = 30

    def on_start(self):
        townships = PEOPLE.get("townships") or []
        self.login(
            townships[next(_township_numbers) % len(townships)]
            if townships
            else PEOPLE.get("caseworker")
        )

    @task(3)
    def queue(self):
        r = self.client.get("/staff/cases/office/", name="R office queue")
        ids = re.findall(r'href="/staff/cases/(\d+)/"', r.text)
        if ids:
            self.client.get(f"/staff/cases/{random.choice(ids)}/", name="R case detail")

    @task(2)
    def mine(self):
        self.client.get("/staff/cases/", name="R my queue")

    @task(1)
    def claim_and_accept(self):
        r = self.post("/staff/cases/claim-next/", {}, "W claim next")
        m = re.search(r"/staff/cases/(\d+)/", r.headers.get("Location", ""))
        if m:
            pk = m.group(1)
            self.client.get(f"/staff/cases/{pk}/", name="R case detail")
            self.post(f"/staff/cases/{pk}/transition/accept/", {}, "W accept")


class Supervisor(Portal):
    weight = 10

    def on_start(self):
        self.login(PEOPLE.get("supervisor", "bench_province"))
        self.after = None

    @task
    def list_pages(self):
        path = "/staff/cases/office/?size=25"
        if self.after and random.random() < 0.7:
            path += f"&after={self.after}"
        r = self.client.get(path, name="R supervisor queue")
        m = re.search(r"after=([\w-]+)", r.text)
        self.after = m.group(1) if m else None
        if random.random() < 0.2:
            self.client.get("/staff/cases/office/?overdue=yes", name="R supervisor queue filtered")
