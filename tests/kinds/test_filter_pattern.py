"""CloudWatch Logs filter pattern syntax on its own: the User Guide's examples parse, broken
patterns fail naming the column within the pattern."""

from __future__ import annotations

import pytest

from reconciler.kinds.filter_pattern import FilterPatternError, check_filter_pattern

ACCEPTED = [
    "", "   ", "ERROR", "?ERROR ?Exception", '"ERROR" -"Exiting"', "ERROR -WARN",
    "Failed to process the request", '"[ERROR] A fatal exception"', '"quote \\" inside"',
    '{ $.eventType = "UpdateTrail" }', "{ $.sourceIPAddress != 123.123.* }",
    '{ $.arrayKey[0] = "value" }', "{ $.objectList[1].id = 2 }", "{ $.SomeObject IS NULL }",
    "{ $.SomeOtherObject NOT EXISTS }", "{ $.ThisFlag IS FALSE }", "{ $.latency = * }",
    '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
    '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }',
    '{ $.user.email = "a@example.com" || $.coordinates[0][1] = x && $.actions[2] = y }',
    "{ $.latency >= 500 }", "{ $.numbers[0] < 10e-3 }", "{ $.latency > +1000 }",
    "{$.foo = bar || $.foo = baz}", "{ $.items[*].id = 3 }",
    "[ip, user, username, timestamp, request, status_code, bytes]", "[..., status_code, bytes]",
    "[ip, user, ..., status_code, bytes]", "[ip, user, ...]", "[]",
    "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]",
    "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
    "[..., request=*.html*, status_code=4*,]", "[w1=ERROR || w1=WARN, w2]",
    "[w1=!ERROR&&w1=!WARN, w2]", "%ERROR|WARN%", "%colou?r%", "%10\\.10\\.0\\.1%",
    "{ $.level = %ERROR|WARN% && $.code = %5[0-9]{2}% }", "[w1 = %abc%, w2]",
    # CIS benchmark patterns on CloudTrail logs, as teams deploy them.
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }',
    "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||"
    "($.eventName=ScheduleKeyDeletion))}",
    "{ $.user-agent = *curl* }",
]


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_patterns_of_the_user_guide_parse(pattern):
    assert check_filter_pattern(pattern) == pattern


@pytest.mark.parametrize("pattern, message", [
    ('"ERROR', "the quoted term opened at column 1 is never closed"),
    ('ERROR"x', "unexpected '\"' at column 6: quote the whole term, like \"Exception:\""),
    ("? ERROR", "'?' at column 1 needs a term right after it, like ?ERROR or -DEBUG"),
    ("ERROR -", "'-' at column 7 needs a term right after it, like ?ERROR or -DEBUG"),
    ("ERROR %x%", "a regex (%...%) at column 7 must be the whole pattern"),
    ("%abc", "the regex opened at column 1 must close with '%' at the end of the pattern"),
    ("%%", "the regex at column 1 is empty"),
    ("%a(b)c%", "'(' at column 3 is not allowed in a regex: CloudWatch Logs regexes have no "
                "groups"),
    ("%something!%", "'!' at column 11 is not allowed in a regex"),
    ("%caf\u00e9%", "'é' at column 5 is not allowed in a regex: CloudWatch Logs regexes take "
                    "no multi-byte characters"),
    ("{ $.x = 1", "'{' at column 1 is never closed"),
    ("{}", "unexpected '}' at column 2: a selector like $.level was expected"),
    ("{ $.x = }", "unexpected '}' at column 9: a value after '=' was expected"),
    ("{ x = 1 }", "unexpected 'x' at column 3: a selector like $.level was expected"),
    ("{ $.x > abc }", "'>' compares numbers: 'abc' at column 9 is not a number"),
    ("{ $.x == 1 }", "'==' at column 7: filter patterns compare with a single '='"),
    ("{ $.x = 1 && }", "unexpected '}' at column 14: a selector like $.level was expected"),
    ("{ $.x = 1 and $.y = 2 }", "unexpected 'and' at column 11: '&&', '||' or '}' was "
                                "expected"),
    ("[a b]", "unexpected 'b' at column 4: ',' or ']' was expected"),
    ("{ ($.x = 1 }", "'(' at column 3 is never closed"),
    ("{ $.x IS MAYBE }", "unexpected 'MAYBE' at column 10: IS NULL or IS TRUE or IS FALSE was "
                         "expected"),
    ("{ $.x NOT THERE }", "unexpected 'THERE' at column 11: NOT EXISTS was expected"),
    ("{ $..x = 1 }", "selector '$..x' at column 3 is not a JSON path like $.user.id or "
                     "$.items[0]"),
    ("{ $ = 1 }", "selector '$' at column 3 is not a JSON path"),
    ('{ $.a = "unclosed }', "the string opened at column 9 is never closed"),
    ("{ $.x = 1 } extra", "unexpected 'extra' at column 13: the end of the pattern was expected"),
    ("{ $.a = %a% || $.b = %b% || $.c = %c% }", "the regex at column 35 is one too many: a JSON "
                                                "or space-delimited pattern takes at most 2"),
    ("{" + "(" * 40 + "$.a = 1" + ")" * 40 + "}", "nested more than 32 levels deep at column 34"),
    ("[a, b", "'[' at column 1 is never closed"),
    ("[a, , b]", "unexpected ',' at column 5: a field name (letters, digits, _) or ... was "
                 "expected"),
    ("[a = ]", "unexpected ']' at column 6: a value after '=' was expected"),
    ("[a-b]", "unexpected 'a-b' at column 2: a field name (letters, digits, _) or ... was "
              "expected"),
    ("[status > 4*]", "'>' compares numbers: '4*' at column 11 is not a number"),
    ("  [a, b] c", "unexpected 'c' at column 10: the end of the pattern was expected"),
])
def test_broken_patterns_name_the_column(pattern, message):
    with pytest.raises(FilterPatternError) as raised:
        check_filter_pattern(pattern)
    assert str(raised.value).startswith(message)
