// Answers with the message's body.
export const handler = async (event) => ({ statusCode: 200, body: event.body });
