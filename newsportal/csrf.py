"""django.middleware.csrf.get_token, with the mask drawn from one call to the system's
random source instead of one per character.

Every signed-in page carries a freshly masked CSRF token (the mask keeps the secret out of
reach of compression attacks such as BREACH). Django draws the mask's 32 characters with
32 calls to secrets.choice, each a read of os.urandom: on a virtual machine, where a
system call is dear, that is a tenth of a cached signed-in page's CPU. The mask here is
drawn the same way, uniformly from the same alphabet, from one read; the token is the one
Django's middleware checks, and everything else (a missing cookie, the cookie's renewal)
is left to Django's own get_token.
"""

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_ALPHABET = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}
# The largest multiple of the alphabet's size that a byte can hold: bytes at or above it
# are skipped, so that every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % len(_ALPHABET)


def random_string(length):
    chars = []
    while len(chars) < length:
        chars.extend(
            _ALPHABET[byte % len(_ALPHABET)]
            for byte in os.urandom(length + 8)
            if byte < _UNBIASED_BELOW
        )
    return "".join(chars[:length])


def masked_token(request):
    """What get_token(request) returns (a token for the request's CSRF secret, masked
    afresh), drawn faster."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: renew the cookie
    mask = random_string(CSRF_SECRET_LENGTH)
    size = len(_ALPHABET)
    cipher = "".join(
        _ALPHABET[(_INDEX[s] + _INDEX[m]) % size] for s, m in zip(secret, mask, strict=True)
    )
    return mask + cipher
