// A Node zip function for esb-runtime-nodejs22 (Handler: index.handler): greets event.name, names the function from
// the context; {"fail": true} throws (a function error); {"sleepMs": N} waits N ms first.
export const handler = async (event, context) => {
  if (event && event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event && event.fail) throw new Error("failing as asked");
  console.log(`greeting ${event && event.name}`);
  return {
    message: `Hello, ${(event && event.name) || "World"}!`,
    function: context.functionName,
    requestId: context.awsRequestId,
  };
};
