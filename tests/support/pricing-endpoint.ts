// A local AWS Price List Query API on 127.0.0.1 for tests of `idle-stop savings`: AWS JSON 1.1
// (POST /, X-Amz-Target AWSPriceListService.GetProducts, application/x-amz-json-1.1), SigV4
// checked with the SDK's signer (service "pricing"), answers in the real shape: PriceList is an
// array of JSON strings, each a product (product.attributes, product.sku) with its terms
// (terms.OnDemand.<sku>.<sku>.<offerTermCode>.priceDimensions.<rateCode>.pricePerUnit.USD, and a
// Reserved term the client must not take for the on-demand price).
//
//   const pricing = await startPricingEndpoint();
//   pricing.addProduct({ instanceType: "t3.large", regionCode: "eu-west-1", usd: "0.0912000000" });
//   env AWS_ENDPOINT_URL_PRICING=pricing.url
import * as http from "node:http";
import { TEST_CREDENTIALS, verifySigV4 } from "./cloudwatch-endpoint";
import { listenOnLoopback } from "./loopback";

export interface PriceProduct {
    instanceType: string;
    regionCode: string;
    /** The on-demand hourly price as the API writes it ("0.0912000000"). */
    usd: string;
    /** Attributes besides the defaults (Linux, Shared, NA, Used, No License required), e.g. a Windows twin. */
    attributes?: Record<string, string>;
}

export interface PricingCall {
    target: string;
    params: Record<string, unknown>;
    signatureValid: boolean;
}

const ON_DEMAND = "JRTCKXETXF";
const HOURLY_RATE = "6YS6EN2CT7";

/** One price list item as GetProducts returns it (before it is turned into a JSON string). */
function priceListItem(p: PriceProduct, index: number): Record<string, unknown> {
    const sku = `SKU${String(index).padStart(4, "0")}TEST${p.instanceType.replace(/\W/g, "").toUpperCase()}`.slice(0, 16);
    const attributes: Record<string, string> = {
        servicecode: "AmazonEC2",
        instanceType: p.instanceType,
        regionCode: p.regionCode,
        operatingSystem: "Linux",
        tenancy: "Shared",
        preInstalledSw: "NA",
        capacitystatus: "Used",
        licenseModel: "No License required",
        operation: "RunInstances",
        usagetype: `BoxUsage:${p.instanceType}`,
        ...p.attributes,
    };
    const term = (code: string, unit: string, usd: string) => ({
        [`${sku}.${code}`]: {
            offerTermCode: code,
            sku,
            effectiveDate: "2026-11-01T00:00:00Z",
            priceDimensions: {
                [`${sku}.${code}.${HOURLY_RATE}`]: {
                    unit,
                    endRange: "Inf",
                    description: `$${usd} per ${attributes.operatingSystem} ${p.instanceType} Instance Hour`,
                    appliesTo: [],
                    rateCode: `${sku}.${code}.${HOURLY_RATE}`,
                    beginRange: "0",
                    pricePerUnit: { USD: usd },
                },
            },
            termAttributes: {},
        },
    });
    return {
        product: { productFamily: "Compute Instance", attributes, sku },
        serviceCode: "AmazonEC2",
        // A reserved term first: its hourly price is lower and must not be taken.
        terms: { Reserved: term("4NA7Y494T4", "Hrs", "0.0100000000"), OnDemand: term(ON_DEMAND, "Hrs", p.usd) },
        version: "20261101000000",
        publicationDate: "2026-11-01T00:00:00Z",
    };
}

export class PricingEndpoint {
    url = "";
    readonly calls: PricingCall[] = [];
    private readonly products: PriceProduct[] = [];
    private readonly server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            void this.handle(req, Buffer.concat(chunks), res).catch((e: unknown) => {
                res.writeHead(500, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ __type: "InternalErrorException", message: String(e) }));
            });
        });
    });

    async listen(): Promise<this> {
        this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}`;
        return this;
    }

    addProduct(p: PriceProduct): void {
        this.products.push(p);
    }

    private async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
        const send = (status: number, answer: unknown) => {
            res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify(answer));
        };
        const target = String(req.headers["x-amz-target"] ?? "");
        const signature = await verifySigV4(req, body, TEST_CREDENTIALS.secretAccessKey, TEST_CREDENTIALS.accessKeyId, "pricing");
        let params: Record<string, unknown> = {};
        try {
            params = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
        } catch {
            /* answered below */
        }
        this.calls.push({ target, params, signatureValid: signature.valid });
        if (!signature.valid) return send(403, { __type: "InvalidSignatureException", message: signature.problem });
        if (target !== "AWSPriceListService.GetProducts" || !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")) {
            return send(400, { __type: "UnknownOperationException", message: target });
        }
        const filters = (Array.isArray(params.Filters) ? params.Filters : []) as Array<{ Type: string; Field: string; Value: string }>;
        if (params.ServiceCode !== "AmazonEC2" || filters.some((f) => f.Type !== "TERM_MATCH")) {
            return send(400, { __type: "InvalidParameterException", message: "this endpoint answers AmazonEC2 TERM_MATCH queries only" });
        }
        const items = this.products
            .map((p, i) => priceListItem(p, i))
            .filter((item) => {
                const attributes = (item.product as { attributes: Record<string, string> }).attributes;
                return filters.every((f) => attributes[f.Field] === f.Value);
            });
        send(200, { FormatVersion: "aws_v1", PriceList: items.map((i) => JSON.stringify(i)) });
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((r) => this.server.close(() => r()));
    }
}

export async function startPricingEndpoint(): Promise<PricingEndpoint> {
    return new PricingEndpoint().listen();
}
