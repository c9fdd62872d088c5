from newsdesk.articles.bios import find_bios

PAGE = """
<html><body>
<article><p>By Ines Dorrance</p><p>Body text mentioning Ines Dorrance again.</p></article>
<aside class="sidebar">
  <div class="author-box">
    <h3>About the author</h3>
    <p class="author-box__name">Ines Dorrance</p>
    <p class="author-box__bio">Ines Dorrance is the Herald's political editor.</p>
  </div>
  <div class="author-box"><strong>Jonas Arkwright</strong>
    <span>reports on home affairs and policing.</span></div>
</aside>
</body></html>
"""


def test_it_reads_each_authors_bio_from_the_author_box() -> None:
    bios = find_bios(PAGE, ["Ines Dorrance", "Jonas Arkwright"])
    assert bios["Ines Dorrance"] == "Ines Dorrance is the Herald's political editor."
    assert bios["Jonas Arkwright"].startswith("Jonas Arkwright reports on home affairs")


def test_it_finds_no_bio_for_an_author_without_a_box() -> None:
    assert find_bios(PAGE, ["Nobody Here"]) == {}


def test_it_survives_pages_that_are_not_html() -> None:
    assert find_bios(b"\x00\x01\x02", ["Ines Dorrance"]) == {}
    assert find_bios("", ["Ines Dorrance"]) == {}
