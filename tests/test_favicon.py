"""Every page names the favicon, and the file it names is served as an SVG (issue 20)."""

from django.contrib.staticfiles import finders
from django.templatetags.static import static


def test_pages_link_the_favicon_and_the_file_is_an_svg(client):
    response = client.get("/accounts/login/")
    href = static("favicon.svg")
    assert response.status_code == 200
    assert f'<link rel="icon" href="{href}" type="image/svg+xml">' in response.content.decode()
    with open(finders.find("favicon.svg"), encoding="utf-8") as handle:
        assert handle.read().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
