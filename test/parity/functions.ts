/**
 * The functions the recorded invoke tests ran, rebuilt from their notes (aws-recorded-invoke.jsonl):
 * what each handler does, in the recording's language. Python ones run on the first python3.10–3.14
 * this host has; the behaviour recorded does not depend on the minor version.
 */
export interface ParityFunction {
  readonly language: 'python' | 'node';
  readonly handler: string;
  readonly files: Readonly<Record<string, string>>;
}

const py = (file: string, source: string, handler = `${file}.handler`): ParityFunction => ({
  language: 'python',
  handler,
  files: { [`${file}.py`]: source },
});
const node = (source: string): ParityFunction => ({ language: 'node', handler: 'handler.handler', files: { 'handler.js': source } });

/** The code of one of three versions: it says which, and what the context says it runs as. */
function versioned(id: string): ParityFunction {
  return py(
    'handler',
    `def handler(event, context):\n    result = {'version_id': '${id}', 'invoked_arn': context.invoked_function_arn, 'version_from_ctx': context.function_version}\n    print(result)\n    return result\n`,
  );
}

export const FUNCTIONS: Readonly<Record<string, ParityFunction>> = {
  'echo-py': py('handler', 'import json\n\ndef handler(event, context):\n    print(json.dumps(event))\n    return event\n'),
  'echo-node': node('exports.handler = async (event) => {\n  console.log(event);\n  return event;\n};\n'),
  'none-py': py('handler', 'import json\n\ndef handler(event, context):\n    print(json.dumps(event))\n    return\n'),
  'none-node': node('exports.handler = async (event) => {\n  console.log(JSON.stringify(event));\n};\n'),
  'sleep-py': py(
    'handler',
    "import time\n\ndef handler(event, context):\n    print('starting wait')\n    time.sleep(event['wait'])\n    print('done waiting')\n",
  ),
  'counter-py': py(
    'handler',
    "counter = 0\n\ndef handler(event, context):\n    global counter\n    result = {'counter': counter}\n    counter += 1\n    return result\n",
  ),
  'counter-node': node('let counter = 0;\nexports.handler = async () => {\n  const result = { counter };\n  counter += 1;\n  return result;\n};\n'),
  'raise-py': py('lambda_handler_error', 'def handler(event, context):\n    raise Exception("Handler fails")\n'),
  'init-raise-py': py('lambda_runtime_error', 'raise Exception("Runtime startup fails")\n\n\ndef handler(event, context):\n    return None\n'),
  'exit-init-py': py('lambda_runtime_exit', 'import sys\n\nsys.exit(0)\n\n\ndef handler(event, context):\n    return None\n'),
  'exit-handler-py': py('lambda_handler_exit', 'import sys\n\ndef handler(event, context):\n    sys.exit(0)\n'),
  'bytes-py': py('handler', "def handler(event, context):\n    print('generating bytes...')\n    return 'a' * event['bytenum']\n"),
  'request-id-py': py(
    'handler',
    "import logging\n\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n\ndef handler(event, context):\n    logger.info('RequestId log message')\n    return context.aws_request_id\n",
  ),
  'context-py': py(
    'handler',
    [
      'import logging',
      '',
      'def handler(event, context):',
      "    print('Lambda log message - print function')",
      "    logging.getLogger().info('Lambda log message - logging module')",
      '    return {',
      "        'event': event,",
      "        'context': {",
      "            'invoked_function_arn': context.invoked_function_arn,",
      "            'function_version': context.function_version,",
      "            'function_name': context.function_name,",
      "            'memory_limit_in_mb': context.memory_limit_in_mb,",
      "            'aws_request_id': context.aws_request_id,",
      "            'log_group_name': context.log_group_name,",
      "            'log_stream_name': context.log_stream_name,",
      "            'client_context': context.client_context,",
      '        },',
      '    }',
      '',
    ].join('\n'),
  ),
  'version-1-py': versioned('version1'),
  'version-2-py': versioned('version2'),
  'version-3-py': versioned('version3'),
  'tmp-state-py': py(
    'handler',
    [
      'import time',
      '',
      'INTERNAL_NUMBER = 0',
      '',
      'def handler(event, context):',
      '    global INTERNAL_NUMBER',
      "    if 'write-file' in event:",
      "        with open('/tmp/temp-store', 'w') as f:",
      "            f.write(event['write-file'])",
      "    elif 'read-file' in event:",
      "        with open('/tmp/temp-store') as f:",
      "            return {'content': f.read()}",
      "    elif 'set-number' in event:",
      "        INTERNAL_NUMBER = event['set-number']",
      "    elif 'read-number' in event:",
      "        return {'number': INTERNAL_NUMBER}",
      "    elif 'sleep' in event:",
      "        print('starting wait')",
      "        time.sleep(event['sleep'])",
      "        print('done waiting')",
      '',
    ].join('\n'),
  ),
  'two-handlers-py': py(
    'handler',
    "def handler(event, context):\n    print({'handler': 'handler'})\n    return {'handler': 'handler'}\n\ndef handler_two(event, context):\n    print({'handler': 'handler_two'})\n    return {'handler': 'handler_two'}\n",
  ),
};
