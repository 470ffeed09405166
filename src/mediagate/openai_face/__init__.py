"""The OpenAI-compatible face (`/v1/videos`, `/v1/images/generations`): OpenAI's request and
response shapes over the same tasks, keys and isolation as `/api/v1`."""
