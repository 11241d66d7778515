from django import template

register = template.Library()


@register.filter
def get_links(data):
    return data.get("+links", [])


@register.filter
def basename(url):
    return str(url).rsplit("/", 1)[-1]


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, None when missing."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("indexes/includes/pagination.html")
def pagination(page, extra="", label="Pages"):
    """Page links; ``extra`` is a query string prefix such as ``query=x&``."""
    elided = []
    if page.paginator.num_pages > 1:
        elided = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return {
        "page": page,
        "extra": extra,
        "label": label,
        "elided": elided,
        "ellipsis": page.paginator.ELLIPSIS,
    }


@register.filter
def http_url(value):
    """``value`` when it is an http(s) URL, else "" (no ``javascript:`` links
    from release metadata)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""
