"""Legacy completions through the SDK, including streaming."""

from openai import OpenAI

MODEL = "gpt-3.5-turbo-instruct"


def test_the_readme_prompt(client: OpenAI) -> None:
    completion = client.completions.create(model=MODEL, prompt="Say this is a test")
    assert completion.choices[0].text == "\n\nThis is a test."
    assert completion.choices[0].finish_reason == "stop"


def test_stream_joins_into_the_answer(client: OpenAI) -> None:
    created = client.completions.create(model=MODEL, prompt="The tallest mountains on Earth", max_tokens=20)
    chunks = list(client.completions.create(model=MODEL, prompt="The tallest mountains on Earth", max_tokens=20, stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == created.choices[0].text
    assert chunks[-1].choices[0].finish_reason == created.choices[0].finish_reason


def test_echo_n_and_logprobs(client: OpenAI) -> None:
    completion = client.completions.create(
        model=MODEL, prompt=["Roses are", "Violets are"], n=2, echo=True, logprobs=2, max_tokens=5
    )
    assert [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert completion.choices[0].text.startswith("Roses are")
    assert completion.choices[3].text.startswith("Violets are")
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and "".join(logprobs.tokens or []) == completion.choices[0].text
