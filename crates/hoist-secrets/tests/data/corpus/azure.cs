var conn = "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=kLLUj8ers2dtTjqEASGWLUFSARpp0j4BnYc+U9TyxhKCRAWCzoxdN0FwbSGCR8eEEGQpFn9t/sMIj/BuRg3mnK==;EndpointSuffix=core.windows.net";
