"""SMS through real gateways: Alibaba Cloud (aliyun) and Tencent Cloud (tencent)."""
