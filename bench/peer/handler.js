'use strict';
// The peer column's handler: the same shape as the esb fixture's "echo" behind the bench route (POST /w1, see
// docker/runtime/src/esb/runtime/FixtureHandler.java). It finds the command the same way (query string, else the
// JSON body; none means echo) and answers 200, Content-Type application/json, body {"echo": event, "container",
// "invocation"}, so both sides parse the same body and render the same response.
const os = require('os');

let invocations = 0;

function command(event) {
  const query = event.queryStringParameters;
  if (query && query.action !== undefined) {
    return query;
  }
  if (typeof event.body !== 'string') {
    return null;
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const body = JSON.parse(text);
    return body && typeof body === 'object' && body.action !== undefined ? body : null;
  } catch (notJson) {
    return null;
  }
}

module.exports.fixture = async (event) => {
  invocations += 1;
  const cmd = command(event);
  const action = (cmd && cmd.action) || 'echo';
  if (action !== 'echo') {
    throw new Error('unknown action: ' + action); // the bench only sends echo
  }
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ echo: event, container: os.hostname(), invocation: invocations }),
  };
};
