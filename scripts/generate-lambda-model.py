#!/usr/bin/env python3
"""Writes model/lambda.json: the request-validation facts of AWS Lambda's service model.

Source: the model botocore ships (data/lambda/2015-03-31/service-2.json.gz). Kept: for every operation its
HTTP method, path and input shape; for every shape reachable from an input its type, lengths, ranges,
pattern, enum, required members, list member, map key/value and where each member travels (uri, querystring,
header, payload). Dropped: documentation, outputs, errors.

Where the live service answers differently from botocore's copy of the model, AWS is right: the changes
below are what real AWS Lambda put in its own validation messages (test/parity/aws-recorded-errors.jsonl).

Run: python3 scripts/generate-lambda-model.py   (then commit model/lambda.json)
"""
import gzip
import json
import os
import re
import sys

import botocore

MODEL = os.path.join(os.path.dirname(botocore.__file__), 'data', 'lambda', '2015-03-31', 'service-2.json.gz')
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'model', 'lambda.json')

# The European Sovereign Cloud's regions (eusc-de-east-1, 2025): AWS's patterns accept an `eusc-` prefix
# before every region; botocore's copy predates it.
REGION = '[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}'
# Patterns AWS sends that differ in more than the region.
PATTERNS = {
    # Layers became taggable after this copy of the model.
    'TaggableResource': 'arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:'
    '(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|'
    'event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)',
}
# Constraints AWS checks that botocore's copy of the model does not carry.
CONSTRAINTS = {
    'SecurityGroupId': {'min': 0, 'max': 1024, 'pattern': 'sg-[0-9a-zA-Z]*'},
}
# Enum values in the order AWS lists them in its messages (a set's order, not the model's).
ENUM_ORDER = {
    'EventSourcePosition': ['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'],
}
# Collections whose members AWS's validator also requires to be non-null: its messages end the member's
# constraints with "Member must not be null" for these and only these.
NOT_NULL_MEMBERS = {'ArchitecturesList', 'LayerList', 'CompatibleArchitectures', 'AdditionalVersionWeights'}

# Enums AWS's validator does not check: Lambda checks these itself, with messages of its own (an unknown
# Runtime is an InvalidParameterValueException listing the runtimes it takes "or be a valid ARN").
UNCHECKED_ENUMS = {'Runtime'}

KEPT = ('type', 'min', 'max', 'pattern', 'enum', 'required', 'payload', 'sensitive')


def main() -> None:
    with gzip.open(MODEL) as f:
        model = json.load(f)
    shapes = model['shapes']
    operations = {}
    reachable = []
    for name, op in sorted(model['operations'].items()):
        entry = {'method': op['http']['method'], 'uri': op['http']['requestUri'].split('?')[0]}
        if 'input' in op:
            entry['input'] = op['input']['shape']
            reachable.append(op['input']['shape'])
        operations[name] = entry
    out = {}
    while reachable:
        name = reachable.pop()
        if name in out:
            continue
        shape = shapes[name]
        if shape.get('exception'):
            continue
        kept = {k: shape[k] for k in KEPT if k in shape}
        kept.update(CONSTRAINTS.get(name, {}))
        if 'pattern' in kept:
            kept['pattern'] = PATTERNS.get(name, kept['pattern'].replace(REGION, '(eusc-)?' + REGION))
        if name in UNCHECKED_ENUMS:
            del kept['enum']
        if name in ENUM_ORDER:
            assert sorted(ENUM_ORDER[name]) == sorted(kept['enum']), name
            kept['enum'] = ENUM_ORDER[name]
        if name in NOT_NULL_MEMBERS:
            kept['membersNotNull'] = True
        if shape['type'] == 'structure':
            members = {}
            for member, ref in shape['members'].items():
                m = {'shape': ref['shape']}
                if 'location' in ref:
                    m['location'] = ref['location']
                    m['locationName'] = ref.get('locationName', member)
                members[member] = m
                reachable.append(ref['shape'])
            kept['members'] = members
        elif shape['type'] == 'list':
            kept['member'] = shape['member']['shape']
            reachable.append(shape['member']['shape'])
        elif shape['type'] == 'map':
            kept['key'] = shape['key']['shape']
            kept['value'] = shape['value']['shape']
            reachable += [shape['key']['shape'], shape['value']['shape']]
        out[name] = kept
    missing = [n for n in list(PATTERNS) + list(CONSTRAINTS) + list(ENUM_ORDER) + list(NOT_NULL_MEMBERS) + list(UNCHECKED_ENUMS) if n not in out]
    if missing:
        sys.exit(f'overrides name shapes the model no longer reaches: {missing}')
    doc = {
        'source': f'botocore {botocore.__version__} data/lambda/2015-03-31/service-2.json.gz, with the changes in scripts/generate-lambda-model.py',
        'operations': operations,
        'shapes': dict(sorted(out.items())),
    }
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=None, separators=(',', ':'), sort_keys=False)
        f.write('\n')
    print(f'{OUT}: {len(operations)} operations, {len(out)} shapes, {os.path.getsize(OUT)} bytes')


if __name__ == '__main__':
    main()
