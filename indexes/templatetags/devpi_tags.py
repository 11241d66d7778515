from django import template

register = template.Library()


@register.filter
def get_links(data):
    return data.get("+links", [])


@register.filter
def basename(url):
    return str(url).rsplit("/", 1)[-1]
