"""The gateway's one upstream client serves every caller: a cookie a service's answer sets must not travel
with anybody's next request."""

import httpx
from gateway.main import NoCookies


async def test_a_cookie_set_by_one_answer_is_not_sent_with_the_next_request():
    seen: list[str | None] = []

    def service(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "session=alice; Path=/"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(service), cookies=NoCookies()) as client:
        await client.get("http://crm/customers")  # alice's request: the service sets a cookie
        await client.get("http://crm/customers")  # bob's request
        assert seen == [None, None] and not client.cookies
    async with httpx.AsyncClient(transport=httpx.MockTransport(service)) as client:  # what a default jar does
        await client.get("http://crm/customers")
        await client.get("http://crm/customers")
        assert seen[-1] == "session=alice"
