"""The web_search, code_interpreter and image_generation tools of /responses (and Chat
Completions' web_search_options) through the SDK: the prompt that calls for each tool, the
forced tool_choice, "none", the streamed form (the events join into the final items), and the
follow-up turn that sends the tool's items back."""

import base64
import struct

from openai import OpenAI

MODEL = "gpt-4.1"
WEB = {"type": "web_search"}
CODE = {"type": "code_interpreter", "container": {"type": "auto"}}
IMAGE = {"type": "image_generation"}


def _items(response, kind):
    return [item for item in response.output if item.type == kind]


def _png_size(data: bytes):
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def _cited(text: str, annotation) -> str:
    return text[annotation.start_index:annotation.end_index]


# web_search


def test_a_prompt_about_current_events_searches_the_web_and_cites_its_sources(client: OpenAI) -> None:
    response = client.responses.create(model=MODEL, input="What is the latest news about the climate summit?",
                                       tools=[WEB], include=["web_search_call.action.sources"])
    (call,) = _items(response, "web_search_call")
    assert call.status == "completed"
    assert call.action.type == "search"
    assert "climate summit" in call.action.query
    sources = [source.url for source in call.action.sources]
    assert sources and sources[0].startswith("https://")
    message = response.output[-1]
    assert message.type == "message"
    part = message.content[0]
    citations = [a for a in part.annotations if a.type == "url_citation"]
    assert citations
    for citation in citations:
        assert citation.url in sources
        assert citation.url in _cited(part.text, citation)
    assert response.usage.output_tokens > 0


def test_web_search_follows_tool_choice_location_and_allowed_domains(client: OpenAI) -> None:
    plain = client.responses.create(model=MODEL, input="Write a haiku about autumn.", tools=[WEB])
    assert not _items(plain, "web_search_call")
    forced = client.responses.create(model=MODEL, input="Write a haiku about autumn.", tools=[WEB],
                                     tool_choice="required")
    assert _items(forced, "web_search_call")
    named = client.responses.create(model=MODEL, input="Write a haiku about autumn.",
                                    tools=[{"type": "web_search_preview"}],
                                    tool_choice={"type": "web_search_preview"})
    assert _items(named, "web_search_call")
    never = client.responses.create(model=MODEL, input="Search the web for the latest news.", tools=[WEB],
                                    tool_choice="none")
    assert not _items(never, "web_search_call")
    local = client.responses.create(
        model=MODEL, input="What's the weather forecast today?",
        tools=[{"type": "web_search", "user_location": {"type": "approximate", "country": "GB", "city": "London"},
                "filters": {"allowed_domains": ["metoffice.gov.uk"]}}],
        include=["web_search_call.action.sources"])
    (call,) = _items(local, "web_search_call")
    assert "London" in call.action.query
    urls = [source.url for source in call.action.sources]
    assert urls[0] == "https://www.metoffice.gov.uk/weather/forecast/london"
    assert all("metoffice.gov.uk" in url for url in urls)


def test_a_url_in_the_prompt_opens_the_page_and_finds_the_phrase(client: OpenAI) -> None:
    response = client.responses.create(
        model=MODEL, input='Open https://example.com/docs and find "rate limits".', tools=[WEB])
    actions = [item.action for item in _items(response, "web_search_call")]
    assert [a.type for a in actions] == ["open_page", "find_in_page"]
    assert actions[1].pattern == "rate limits"
    limited = client.responses.create(
        model=MODEL, input='Open https://example.com/docs and find "rate limits".', tools=[WEB], max_tool_calls=1)
    assert len(_items(limited, "web_search_call")) == 1


def test_web_search_streams_its_events_and_they_join_into_the_final_items(client: OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="Search the web for the latest Rust release.",
                                 tools=[WEB]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    for stage in ["in_progress", "searching", "completed"]:
        assert f"response.web_search_call.{stage}" in kinds
    assert "response.output_text.annotation.added" in kinds
    assert final.output[0].type == "web_search_call"
    assert final.output_text.startswith("Here is what I found")
    assert final.output[-1].content[0].annotations


def test_the_follow_up_turn_uses_the_earlier_search_without_searching_again(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="Search the web for the latest Rust release.", tools=[WEB])
    again = client.responses.create(model=MODEL, previous_response_id=first.id, tools=[WEB],
                                    input="Which sources did that use?")
    assert not _items(again, "web_search_call")
    earlier = {a.url for a in first.output[-1].content[0].annotations}
    cited = {a.url for a in again.output[-1].content[0].annotations}
    assert cited and cited <= earlier
    history = [{"role": "user", "content": "Search the web for the latest Rust release."}]
    history += [item.model_dump(exclude_none=True) for item in first.output]
    sent_back = client.responses.create(model=MODEL, input=history, tools=[WEB], store=False)
    assert not _items(sent_back, "web_search_call")


def test_chat_web_search_options_cite_url_citations(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-search-preview", web_search_options={"search_context_size": "low"},
        messages=[{"role": "user", "content": "What are today's top headlines?"}])
    message = completion.choices[0].message
    assert message.annotations
    for annotation in message.annotations:
        assert annotation.type == "url_citation"
        cited = message.content[annotation.url_citation.start_index:annotation.url_citation.end_index]
        assert annotation.url_citation.url in cited
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


# code_interpreter


def test_a_chart_request_runs_code_and_saves_a_real_png_in_the_container(client: OpenAI) -> None:
    response = client.responses.create(model=MODEL, input="Plot a bar chart of 3, 8, 5 and 12.", tools=[CODE],
                                       include=["code_interpreter_call.outputs"])
    (call,) = _items(response, "code_interpreter_call")
    assert "plt.bar" in call.code and "[3, 8, 5, 12]" in call.code
    assert call.outputs[0].type == "logs"
    assert "chart.png" in call.outputs[0].logs
    container = client.containers.retrieve(call.container_id)
    assert container.status == "running"
    part = response.output[-1].content[0]
    (citation,) = [a for a in part.annotations if a.type == "container_file_citation"]
    assert citation.container_id == call.container_id
    assert citation.filename == "chart.png"
    assert "chart.png" in part.text[citation.start_index:citation.end_index]
    content = client.containers.files.content.retrieve(citation.file_id, container_id=call.container_id)
    assert _png_size(content.read()) == (640, 480)


def test_a_csv_request_writes_a_real_csv_and_calculations_log_their_result(client: OpenAI) -> None:
    response = client.responses.create(model=MODEL, input="Make a CSV file of 4, 9 and 16.", tools=[CODE])
    (call,) = _items(response, "code_interpreter_call")
    assert call.outputs is None
    citation = response.output[-1].content[0].annotations[0]
    content = client.containers.files.content.retrieve(citation.file_id, container_id=call.container_id)
    assert content.read().decode() == "row,value\n1,4\n2,9\n3,16\n"
    calc = client.responses.create(model=MODEL, input="Calculate 37 * 12.", tools=[CODE],
                                   include=["code_interpreter_call.outputs"])
    (call,) = _items(calc, "code_interpreter_call")
    assert call.code == "result = 37 * 12\nprint(result)"
    assert call.outputs[0].logs == "444\n"
    assert "444" in calc.output_text


def test_code_interpreter_follows_tool_choice_and_a_given_container(client: OpenAI) -> None:
    assert not _items(client.responses.create(model=MODEL, input="Tell me a joke.", tools=[CODE]),
                      "code_interpreter_call")
    container = client.containers.create(name="mine")
    forced = client.responses.create(model=MODEL, input="Tell me a joke.", tool_choice={"type": "code_interpreter"},
                                     tools=[{"type": "code_interpreter", "container": container.id}])
    (call,) = _items(forced, "code_interpreter_call")
    assert call.container_id == container.id
    never = client.responses.create(model=MODEL, input="Calculate 2 + 2.", tools=[CODE], tool_choice="none")
    assert not _items(never, "code_interpreter_call")


def test_code_interpreter_streams_its_code_and_reuses_the_container_on_the_next_turn(client: OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="Compute the mean of 2, 4 and 9.", tools=[CODE],
                                 include=["code_interpreter_call.outputs"]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    for kind in ["response.code_interpreter_call.in_progress", "response.code_interpreter_call.interpreting",
                 "response.code_interpreter_call.completed", "response.code_interpreter_call_code.done"]:
        assert kind in kinds
    code = "".join(e.delta for e in events if e.type == "response.code_interpreter_call_code.delta")
    (call,) = _items(final, "code_interpreter_call")
    assert code == call.code
    assert call.outputs[0].logs == "sum: 15\nmean: 5.0\n"
    follow = client.responses.create(model=MODEL, previous_response_id=final.id, tools=[CODE],
                                     input="Now plot those numbers as a chart.")
    (again,) = _items(follow, "code_interpreter_call")
    assert again.container_id == call.container_id


# image_generation


def test_a_drawing_request_generates_a_real_image_of_the_requested_settings(client: OpenAI) -> None:
    response = client.responses.create(
        model=MODEL, input="Draw a lighthouse at dusk.",
        tools=[{"type": "image_generation", "size": "1536x1024", "output_format": "png", "background": "opaque"}])
    (call,) = _items(response, "image_generation_call")
    assert _png_size(base64.b64decode(call.result)) == (1536, 1024)
    extra = call.model_dump()
    assert "lighthouse at dusk" in extra["revised_prompt"]
    assert extra["size"] == "1536x1024"
    webp = client.responses.create(model=MODEL, input="Draw a cat.",
                                   tools=[{"type": "image_generation", "output_format": "webp"}])
    (call,) = _items(webp, "image_generation_call")
    data = base64.b64decode(call.result)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def test_image_generation_follows_tool_choice(client: OpenAI) -> None:
    assert not _items(client.responses.create(model=MODEL, input="What is 2 + 2?", tools=[IMAGE]),
                      "image_generation_call")
    assert _items(client.responses.create(model=MODEL, input="What is 2 + 2?", tools=[IMAGE],
                                          tool_choice={"type": "image_generation"}), "image_generation_call")
    assert not _items(client.responses.create(model=MODEL, input="Draw a cat.", tools=[IMAGE],
                                              tool_choice="none"), "image_generation_call")


def test_image_generation_streams_partial_images(client: OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="Draw a red fox in the snow.",
                                 tools=[{"type": "image_generation", "partial_images": 2}]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [p.partial_image_index for p in partials] == [0, 1]
    for partial in partials:
        assert _png_size(base64.b64decode(partial.partial_image_b64)) == (1024, 1024)
    (call,) = _items(final, "image_generation_call")
    assert call.result and call.result != partials[-1].partial_image_b64
    kinds = [e.type for e in events]
    assert kinds.index("response.image_generation_call.generating") < kinds.index(
        "response.image_generation_call.completed")


def test_the_follow_up_turn_changes_the_earlier_image(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="Draw a cat.", tools=[IMAGE])
    (call,) = _items(first, "image_generation_call")
    second = client.responses.create(model=MODEL, previous_response_id=first.id, tools=[IMAGE],
                                     input="Make it wear a blue hat.")
    (changed,) = _items(second, "image_generation_call")
    assert changed.result != call.result
    assert "blue hat" in changed.model_dump()["revised_prompt"]
    history = [{"role": "user", "content": "Draw a cat."}]
    history += [item.model_dump(exclude_none=True) for item in first.output]
    sent_back = client.responses.create(model=MODEL, input=history, tools=[IMAGE], store=False)
    assert not _items(sent_back, "image_generation_call")
