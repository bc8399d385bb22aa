"""The JSON REST API under /api/v1: tokens, problem details, and resources that call the same
services and permission rules as the pages (flask-smorest; the OpenAPI document is generated
from the code)."""
