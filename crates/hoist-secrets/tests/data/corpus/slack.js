const slack = require("@slack/web-api");
const bot = new slack.WebClient("xoxb-730971598799-2679867957013-mtS0UCeKgicXs7aDOulnUUIq");
const user = "xoxp-646340569150-148877591602-0833472191117-1b8aaf5fad4e05d311f04badbfb8e932";
const hook = "https://hooks.slack.com/services/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";
