// Types for the CloudWatch client's own endpoint rules, imported by path (the client's package has
// no export for them; its dist-types carry the declarations).
declare module "@aws-sdk/client-cloudwatch/dist-es/endpoint/endpointResolver" {
    export { defaultEndpointResolver } from "@aws-sdk/client-cloudwatch/dist-types/endpoint/endpointResolver";
}
declare module "@aws-sdk/client-cloudwatch/dist-es/endpoint/EndpointParameters" {
    export { commonParams } from "@aws-sdk/client-cloudwatch/dist-types/endpoint/EndpointParameters";
}
